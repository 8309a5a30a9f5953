import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, realpathSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { StatusDocument } from '../../src/shared/status.js';
import { waitFor } from '../support/wait.js';
import { isAlive, onCleanup, tempDir, trackPid, untrackPid } from './cleanup.js';

export { waitFor } from '../support/wait.js';
export { tempDir } from './cleanup.js';

/**
 * Helpers for the supervisor's integration tests: the built program (`dist/dbus-mcp.mjs`, built
 * once when missing; DBUS_MCP_PROGRAM overrides), `serve` on a temp socket with an empty config
 * file, SDK clients through real socat or `dbus-mcp connect`, and raw socket connections.
 * Everything is registered with ./cleanup.ts.
 */

const ROOT = resolve(import.meta.dirname, '..', '..');

export function programPath(): string {
  const override = process.env.DBUS_MCP_PROGRAM;
  if (override) return override;
  const path = join(ROOT, 'dist', 'dbus-mcp.mjs');
  if (!existsSync(path)) execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return path;
}

/**
 * Copies the built program to `dir` the way it is laid out (bin/dbus-mcp.mjs importing its chunks
 * from lib/dbus-mcp/, scripts/build.mjs) and returns the entry's path: for tests that run it
 * somewhere another user can read.
 */
export function copyProgram(dir: string): string {
  const dist = dirname(realpathSync(programPath()));
  cpSync(dist, join(dir, 'bin'), { recursive: true });
  cpSync(join(dist, '..', 'lib'), join(dir, 'lib'), { recursive: true });
  return join(dir, 'bin', 'dbus-mcp.mjs');
}

export type LogLine = Record<string, unknown> & { msg?: string };

export interface Served {
  proc: ChildProcess;
  pid: number;
  dir: string;
  socketPath: string;
  /** Environment `dbus-mcp connect`/`status` need to find this server. */
  env: NodeJS.ProcessEnv;
  logs: LogLine[];
  waitForLog(msg: string, match?: (l: LogLine) => boolean, ms?: number): Promise<LogLine>;
  status(): Promise<StatusDocument>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  /** Command run instead of `node <program> serve --socket <path>` (e.g. systemd-socket-activate). */
  command?: (program: string, socketPath: string, env: NodeJS.ProcessEnv) => { file: string; args: string[] };
  /** Do not wait for the socket (activation starts the program on the first connection). */
  noWait?: boolean;
  dir?: string;
}

/** Starts the built `dbus-mcp serve` on a socket in a fresh temp dir, with test faults enabled. */
export async function startServe(options: ServeOptions = {}): Promise<Served> {
  const program = programPath();
  const dir = options.dir ?? tempDir('sv');
  const socketPath = join(dir, 'dbus-mcp.sock');
  const configFile = join(dir, 'config');
  if (!existsSync(configFile)) writeFileSync(configFile, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBUS_MCP_CONFIG: configFile,
    DBUS_MCP_SOCKET_PATH: socketPath,
    TEST_DBUS_MCP_FAULTS: '1',
    DBUS_MCP_LOG_LEVEL: 'debug',
    XDG_RUNTIME_DIR: dir,
    ...options.env,
  };
  const cmd = options.command?.(program, socketPath, env) ?? {
    file: process.execPath,
    args: [program, 'serve', '--socket', socketPath],
  };
  const proc = spawn(cmd.file, cmd.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = proc.pid as number;
  trackPid(pid);
  const logs: LogLine[] = [];
  let partial = '';
  proc.stderr?.on('data', (b: Buffer) => {
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line, raw: true });
      }
    }
  });
  proc.stdout?.resume();
  const exited = new Promise<number | null>((res) =>
    proc.once('exit', (code) => {
      untrackPid(pid);
      res(code);
    }),
  );
  const waitForLog = (msg: string, match: (l: LogLine) => boolean = () => true, ms = 15_000) =>
    waitFor(`log "${msg}"`, () => logs.find((l) => l.msg === msg && match(l)), ms);
  const served: Served = {
    proc,
    pid,
    dir,
    socketPath,
    env,
    logs,
    waitForLog,
    status: () => readStatus(socketPath),
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  onCleanup(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  if (!options.noWait) await waitForLog('listening');
  return served;
}

/** The status document from `<socket>.ctl`. */
export function readStatus(socketPath: string): Promise<StatusDocument> {
  return new Promise((res, rej) => {
    let text = '';
    const conn = net.connect(`${socketPath}.ctl`);
    conn.on('data', (b: Buffer) => (text += b.toString()));
    conn.on('end', () => {
      try {
        res(JSON.parse(text) as StatusDocument);
      } catch (e) {
        rej(e as Error);
      }
    });
    conn.on('error', rej);
  });
}

export async function workerPidOf(served: Served, clientId?: string): Promise<number> {
  return waitFor(`worker pid of ${clientId ?? 'the only client'}`, async () => {
    const st = await served.status();
    const c = clientId ? st.clients.find((x) => x.id === clientId) : st.clients[0];
    return c && c.state === 'ready' && c.workerPid !== null ? c.workerPid : undefined;
  });
}

export interface ConnectOptions {
  /** 2026-era client (version negotiation 'auto') instead of the default 2025 era. */
  modern?: boolean;
  /** Bridge through `dbus-mcp connect` instead of socat. */
  viaConnect?: Served;
}

/** A real SDK client driving `socat UNIX-CONNECT:<sock> STDIO` (or `dbus-mcp connect`). */
export async function connectClient(socketPath: string, options: ConnectOptions = {}): Promise<Client> {
  const transport = options.viaConnect
    ? new StdioClientTransport({
        command: process.execPath,
        args: [programPath(), 'connect'],
        env: options.viaConnect.env as Record<string, string>,
        stderr: 'pipe',
      })
    : new StdioClientTransport({
        command: 'socat',
        args: [`UNIX-CONNECT:${socketPath}`, 'STDIO'],
        stderr: 'pipe',
      });
  const client = new Client(
    { name: 'supervisor-test', version: '1.0.0' },
    options.modern ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => {}));
  return client;
}

/** A raw line-oriented socket connection, for input no SDK client would send. */
export interface RawConnection {
  socket: net.Socket;
  write(data: string | Buffer): void;
  send(msg: unknown): void;
  /** The next line from the server, parsed; rejects when the connection closes first. */
  next(ms?: number): Promise<Record<string, unknown>>;
  /**
   * The next answer (a line with an `id`), skipping notifications: a worker that boots slowly on a
   * loaded machine makes the supervisor send waiting notices first, as it should.
   */
  answer(ms?: number): Promise<Record<string, unknown>>;
  closed: Promise<void>;
}

export async function rawConnect(socketPath: string): Promise<RawConnection> {
  const socket = net.connect({ path: socketPath, allowHalfOpen: true });
  await new Promise<void>((res, rej) => {
    socket.once('connect', res);
    socket.once('error', rej);
  });
  socket.on('error', () => {});
  onCleanup(() => void socket.destroy());
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  let ended = false;
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on('data', (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts.filter((p) => p.trim() !== ''));
    wake();
  });
  // The server ending its side counts as closed (this end is half-open and would wait forever).
  const closed = new Promise<void>((res) => {
    const done = () => {
      ended = true;
      wake();
      res();
    };
    socket.once('end', done);
    socket.once('close', done);
  });
  const next = async (ms = 10_000): Promise<Record<string, unknown>> => {
    const until = Date.now() + ms;
    while (lines.length === 0) {
      if (ended) throw new Error('connection closed');
      if (Date.now() > until) throw new Error(`no line within ${ms} ms`);
      await new Promise<void>((res) => {
        waiters.push(res);
        setTimeout(res, 50);
      });
    }
    return JSON.parse(lines.shift() as string) as Record<string, unknown>;
  };
  const answer = async (ms = 10_000): Promise<Record<string, unknown>> => {
    const until = Date.now() + ms;
    for (;;) {
      const msg = await next(Math.max(1, until - Date.now()));
      if ('id' in msg) return msg;
    }
  };
  return {
    socket,
    write: (data) => socket.write(data),
    send: (msg) => socket.write(`${JSON.stringify(msg)}\n`),
    next,
    answer,
    closed,
  };
}

export const INIT_2025 = {
  jsonrpc: '2.0',
  id: 'init',
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** Resolves once `pid` no longer exists. */
export function waitGone(pid: number, ms = 10_000): Promise<true> {
  return waitFor(`pid ${pid} to be gone`, () => (isAlive(pid) ? undefined : true), ms);
}
