import { lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Config } from '../shared/config.js';
import { resolveSocketPath } from '../shared/config.js';
import { AppError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export interface Listener {
  server: net.Server;
  path: string;
  /** True when the socket came from systemd (LISTEN_FDS) and systemd owns the file. */
  activated: boolean;
  /** Stops listening; removes the socket file when this process created it. */
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
 * The client socket: the one systemd passed (fd 3), or one bound at SOCKET_PATH. When systemd
 * passed a socket whose file was removed since (the guide's stop / rm -f / start), a fresh socket
 * is bound at the configured path so clients can reach it again.
 */
export async function openListener(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true });
  if (isSocketActivated(env)) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd: SD_LISTEN_FDS_START }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const path = typeof address === 'string' && address !== '' ? address : resolveSocketPath(config, env);
    if (isSocketFile(path)) {
      log.info({ socket: path }, 'using the socket passed by systemd');
      return { server, path, activated: true, close: () => closeServer(server) };
    }
    log.warn({ socket: path }, 'the activated socket file is gone; binding a fresh one');
    await closeServer(server);
    return bindOwn(resolveSocketPath(config, env));
  }
  return bindOwn(resolveSocketPath(config, env));
}

async function bindOwn(path: string): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true });
  await bindUnixSocket(server, path);
  const ino = lstatSync(path).ino;
  return {
    server,
    path,
    activated: false,
    close: async () => {
      await closeServer(server);
      removeIfSame(path, ino);
    },
  };
}

/** Removes `path` only while it is still the file this process created. */
export function removeIfSame(path: string, ino: number): void {
  try {
    if (lstatSync(path).ino === ino) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError('INTERNAL', errorMessage(err));
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
