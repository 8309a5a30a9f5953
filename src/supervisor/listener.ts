import { lstatSync, readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Config } from '../shared/config.js';
import { resolveSocketPath } from '../shared/config.js';
import { AppError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export interface Listener {
  /** Where clients connect: the activated socket's own path, or the one bound at SOCKET_PATH. */
  path: string;
  /** True when the socket came from systemd (LISTEN_FDS) and systemd owns the file. */
  activated: boolean;
  /** Every accepted connection (of each socket listened on). */
  onConnection(handler: (socket: net.Socket) => void): void;
  /**
   * Stops accepting at once (synchronously, before the promise settles), then resolves once
   * closed; removes a socket file this process created. An activated socket stays open in
   * systemd, which queues new connections for the next process.
   */
  close(): Promise<void>;
}

/** fd of the first socket systemd passes (SD_LISTEN_FDS_START). */
const SD_LISTEN_FDS_START = 3;

/** True when systemd passed us listening sockets (LISTEN_PID is this process, LISTEN_FDS ≥ 1). */
export function isSocketActivated(env: NodeJS.ProcessEnv): boolean {
  return Number(env.LISTEN_PID) === process.pid && Number(env.LISTEN_FDS) >= 1;
}

const isSocketFile = (path: string): boolean | undefined => {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return undefined;
  }
};

/** Resolves true when something accepts a connection on `path`. */
export function answers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(path);
    const done = (live: boolean) => {
      probe.destroy();
      resolve(live);
    };
    probe.setTimeout(timeoutMs, () => done(true));
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
  });
}

/**
 * Binds `server` on `path` with mode 0600 from the moment the file exists: the umask is narrowed
 * around the synchronous bind inside `listen()`. A stale socket file (nobody answers) is
 * replaced; a live one, or a path that is not a socket, is refused with SOCKET_IN_USE.
 */
export async function bindUnixSocket(server: net.Server, path: string): Promise<void> {
  const kind = isSocketFile(path);
  if (kind === false) {
    throw new AppError(
      'SOCKET_IN_USE',
      `${path} exists and is not a socket; remove it or choose another --socket`,
    );
  }
  if (kind === true) {
    if (await answers(path)) {
      throw new AppError(
        'SOCKET_IN_USE',
        `another server is already listening on ${path}; stop it first ` +
          '(systemctl --user stop dbus-mcp-standalone.socket dbus-mcp-standalone.service) or use --socket',
      );
    }
    unlinkSync(path);
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new AppError('SOCKET_IN_USE', `another server took ${path} while starting`, { cause: err })
          : new AppError('SOCKET_IN_USE', `cannot listen on ${path}: ${err.message}`, { cause: err }),
      );
    };
    server.once('error', onError);
    const previous = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/**
 * The path a listening Unix socket fd is bound to, from the kernel (getsockname is not exposed for
 * pipes in Node): the socket inode behind /proc/self/fd/N, looked up in /proc/net/unix. Undefined
 * when it cannot be told (no /proc, an abstract or unnamed socket).
 */
export function boundPathOfFd(fd: number, proc = '/proc'): string | undefined {
  let inode: string | undefined;
  try {
    inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${proc}/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
  if (!inode) return undefined;
  let table: string;
  try {
    table = readFileSync(`${proc}/net/unix`, 'utf8');
  } catch {
    return undefined;
  }
  // Num RefCount Protocol Flags Type St Inode Path
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[6] === inode && fields[7]?.startsWith('/')) return fields.slice(7).join(' ');
  }
  return undefined;
}

function listenOnFd(server: net.Server, fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function listenerOf(servers: net.Server[], path: string, activated: boolean, cleanup?: () => void): Listener {
  return {
    path,
    activated,
    onConnection: (handler) => {
      for (const server of servers) server.on('connection', handler);
    },
    close: async () => {
      await Promise.all(servers.map((server) => closeServer(server)));
      cleanup?.();
    },
  };
}

/**
 * The client socket: the one systemd passed (fd 3), served at whatever path it is bound to (a
 * drop-in may have moved ListenStream= away from SOCKET_PATH; the socket's own path wins and it is
 * never replaced), or one bound at SOCKET_PATH. When systemd passed a socket whose file was
 * removed since (the guide's stop / rm -f / start), a fresh socket is bound at that same path so
 * clients can reach it again, and the passed one is still served (connections already queued).
 */
export async function openListener(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<Listener> {
  if (!isSocketActivated(env)) return bindOwn(resolveSocketPath(config, env));
  const activated = net.createServer({ allowHalfOpen: true });
  await listenOnFd(activated, SD_LISTEN_FDS_START);
  const own = boundPathOfFd(SD_LISTEN_FDS_START);
  const configured = config.SOCKET_PATH ?? (env.XDG_RUNTIME_DIR ? resolveSocketPath(config, env) : undefined);
  const path = own ?? resolveSocketPath(config, env);
  if (own && configured && own !== configured) {
    log.info(
      { socket: own, socketPath: configured },
      'the socket systemd passed is not at SOCKET_PATH; serving it',
    );
  }
  if (isSocketFile(path)) {
    log.info({ socket: path }, 'using the socket passed by systemd');
    return listenerOf([activated], path, true);
  }
  log.warn({ socket: path }, 'the activated socket file is gone; binding a fresh one');
  const fresh = net.createServer({ allowHalfOpen: true });
  try {
    await bindUnixSocket(fresh, path);
  } catch (err) {
    await closeServer(activated);
    throw err;
  }
  const ino = lstatSync(path).ino;
  return listenerOf([activated, fresh], path, false, () => removeIfSame(path, ino));
}

async function bindOwn(path: string): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true });
  await bindUnixSocket(server, path);
  const ino = lstatSync(path).ino;
  return listenerOf([server], path, false, () => removeIfSame(path, ino));
}

/** Removes `path` only while it is still the file this process created. */
export function removeIfSame(path: string, ino: number): void {
  try {
    if (lstatSync(path).ino === ino) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AppError('INTERNAL', errorMessage(err), { cause: err });
  }
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
