import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import type { Proc } from '../support/processes.js';
import { waitExit } from '../support/processes.js';
import { onCleanup, startTracked, tempDir, trackPid, untrackPid } from './cleanup.js';

export { waitExit } from '../support/processes.js';
export { waitFor } from '../support/wait.js';
export { tempDir } from './cleanup.js';

/**
 * Helpers for the operations tests (install.sh, systemd units, socket activation): staged
 * installs, tree snapshots, and a JSON-RPC client that talks to the server socket through a real
 * `socat UNIX-CONNECT:… STDIO`, as the guide tells users to. Everything is registered for cleanup.
 */

export const ROOT = join(import.meta.dirname, '..', '..');
export const INSTALL_SH = join(ROOT, 'install.sh');
export const PROGRAM = join(ROOT, 'dist', 'dbus-mcp.mjs');
export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

/** Builds dist/dbus-mcp.mjs when it is missing (scripts/test.sh builds before the tests). */
export function ensureBuilt(): void {
  if (existsSync(PROGRAM)) return;
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stderr}`);
}

/** An environment without the variables that would point install.sh at the real user. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['SUDO_USER', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'DBUS_MCP_CONFIG']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('DBUS_MCP_') || k.startsWith('LISTEN_')) delete env[k];
  return env;
}

export interface Stage {
  destdir: string;
  home: string;
}

export function newStage(): Stage {
  const base = tempDir('stage');
  return { destdir: join(base, 'dest'), home: join(base, 'home') };
}

/** Runs install.sh with DESTDIR and HOME of the stage; --no-build: the tests share one build. */
export function runInstall(stage: Stage, args: string[]): SpawnSyncReturns<string> {
  return spawnSync('bash', [INSTALL_SH, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: cleanEnv({ DESTDIR: stage.destdir, HOME: stage.home }),
    timeout: 120_000,
  });
}

export function mustInstall(stage: Stage, args: string[]): string {
  const r = runInstall(stage, args);
  if (r.status !== 0) {
    throw new Error(`install.sh ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Where a real path lands in the stage. */
export const staged = (stage: Stage, path: string): string => join(stage.destdir, path);

/** Every entry under `dir`: relative path → "d0755" / "f0644 <sha256>" / "l -> target". */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out[rel] = `d${mode}`;
        walk(p);
      } else if (st.isFile()) {
        out[rel] = `f${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      } else {
        out[rel] = `other${mode}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** Files (not directories) under `dir`, relative, with their modes. */
export function fileModes(dir: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(snapshot(dir))
      .filter(([, v]) => v.startsWith('f'))
      .map(([k, v]) => [k, v.slice(1, 5)]),
  );
}

export const isSocket = (path: string): boolean => {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
};

/** Spawns a long-running process (stdin open) whose pid is reaped at cleanup; its output is kept for messages. */
export function spawnTracked(command: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  return startTracked(command, command, args, { env, stdin: 'pipe', keepBytes: 20_000 });
}

interface JsonRpcResponse {
  id: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** A JSON-RPC client on the server socket through `socat UNIX-CONNECT:<path> STDIO`. */
export class SocatClient {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (r: JsonRpcResponse) => void>();
  private buffer = '';
  private nextId = 1;
  private stderr = '';

  constructor(socketPath: string) {
    this.child = spawn('socat', [`UNIX-CONNECT:${socketPath}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('cannot start socat');
    trackPid(pid);
    this.child.once('exit', () => untrackPid(pid));
    onCleanup(() => this.close());
    this.child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.child.stdout?.on('data', (b: Buffer) => {
      this.buffer += b.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as JsonRpcResponse;
        if (typeof msg.id === 'number') this.pending.get(msg.id)?.(msg);
      }
    });
  }

  /** Sends a request and resolves with its response (rejects after `timeoutMs`). */
  request(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = 20_000,
  ): Promise<JsonRpcResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms; socat said: ${this.stderr}`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(r);
      });
      this.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method: string, params: Record<string, unknown> = {}): void {
    this.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  /** The MCP 2025 handshake: initialize, then notifications/initialized. */
  async initialize(): Promise<JsonRpcResponse> {
    const r = await this.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'dbus-mcp-ops-test', version: '1.0.0' },
    });
    this.notify('notifications/initialized');
    return r;
  }

  /** Closes stdin (socat then closes the connection) and waits for socat to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end();
    await waitExit(this.child, 3000).catch(async () => {
      this.child.kill('SIGKILL');
      await waitExit(this.child, 3000).catch(() => undefined);
    });
  }
}
