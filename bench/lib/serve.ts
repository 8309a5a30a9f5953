import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { StatusDocument } from '../../src/shared/status.js';
import { ROOT, spawnTracked, stopChild, tempDir } from './procs.js';
import { waitFor as waitForProbe } from '../../test/support/wait.js';

/** The built program; DBUS_MCP_PROGRAM points the bench at another build (before/after comparisons). */
export const PROGRAM = process.env.DBUS_MCP_PROGRAM || join(ROOT, 'dist', 'dbus-mcp.mjs');

export type LogLine = Record<string, unknown> & { msg?: string; time?: number };

export interface Supervisor {
  proc: ChildProcess;
  pid: number;
  socketPath: string;
  logs: LogLine[];
  status(): Promise<StatusDocument>;
  /**
   * Resolves once every spare worker has booted (state idle) and there are as many as the pool
   * wants now (`spares.target`: SPARE_WORKERS, more for a while after a burst; `n` from a server
   * that does not say).
   */
  sparesIdle(n: number, ms?: number): Promise<StatusDocument>;
  stop(): Promise<void>;
}

/**
 * Starts the built `dbus-mcp serve` on a socket in a fresh temp dir against `busAddress` (both
 * buses), with an empty config file so /etc and ~ are ignored, and waits for its `listening` log.
 */
export async function startSupervisor(busAddress: string, env: NodeJS.ProcessEnv = {}): Promise<Supervisor> {
  const dir = tempDir('bench-sv');
  const socketPath = join(dir, 'dbus-mcp.sock');
  const configFile = join(dir, 'config');
  writeFileSync(configFile, '');
  const proc = spawnTracked(process.execPath, [PROGRAM, 'serve', '--socket', socketPath], {
    env: {
      ...process.env,
      DBUS_MCP_CONFIG: configFile,
      DBUS_MCP_SESSION_BUS_ADDRESS: busAddress,
      DBUS_MCP_SYSTEM_BUS_ADDRESS: busAddress,
      DBUS_MCP_LOG_LEVEL: 'info',
      TEST_DBUS_MCP_LOOP_STATS: '1',
      XDG_RUNTIME_DIR: dir,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: LogLine[] = [];
  let partial = '';
  proc.stderr?.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
      if (logs.length > 20_000) logs.splice(0, 10_000);
    }
  });
  const status = () => readStatus(socketPath);
  await waitFor(
    'supervisor listening',
    () => logs.some((l) => l.msg === 'listening') || undefined,
    15_000,
    proc,
  );
  return {
    proc,
    pid: proc.pid ?? -1,
    socketPath,
    logs,
    status,
    sparesIdle: (n, ms = 60_000) => {
      let last: StatusDocument | undefined;
      return waitFor(
        `${n} idle spare(s)`,
        async () => {
          const st = await status();
          last = st;
          const want = st.spares?.target ?? n;
          return st.spareWorkers.length === want && st.spareWorkers.every((s) => s.state === 'idle')
            ? st
            : undefined;
        },
        ms,
        proc,
      ).catch((err: unknown) => {
        // What the pool looked like last, for whoever reads the failure.
        const seen = last && {
          spares: last.spares,
          spareWorkers: last.spareWorkers,
          clients: last.clients.length,
        };
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}; last seen ${JSON.stringify(seen)}`,
        );
      });
    },
    stop: () => stopChild(proc, 8000),
  };
}

/** test/support's waitFor, polling every 10 ms and failing at once when `proc` (the supervisor) exits. */
export function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms: number,
  proc?: ChildProcess,
): Promise<T> {
  const abort = () => (proc && proc.exitCode !== null ? `supervisor exited (${proc.exitCode})` : undefined);
  return waitForProbe(what, probe, { ms, intervalMs: 10, abort });
}

/** The status document from `<socket>.ctl`. */
export function readStatus(socketPath: string): Promise<StatusDocument> {
  return new Promise((resolve, reject) => {
    let text = '';
    const conn = net.connect(`${socketPath}.ctl`);
    conn.on('data', (b: Buffer) => (text += b.toString()));
    conn.on('end', () => {
      try {
        resolve(JSON.parse(text) as StatusDocument);
      } catch (e) {
        reject(e as Error);
      }
    });
    conn.on('error', reject);
  });
}
