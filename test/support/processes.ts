import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';

/**
 * Child processes for tests and the bench, without any registry: test/helpers/cleanup.ts and
 * bench/lib/procs.ts each register what they start (node:test `after` hooks would print a TAP
 * report inside the bench).
 */

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last `keepBytes` of stdout and stderr together (spawn errors included). */
  output(): string;
  /** The last `keepBytes` of stdout alone. */
  stdout(): string;
  exited(): boolean;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface ProcOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** 'pipe' keeps stdin open (for a process that ends when it closes); default 'ignore'. */
  stdin?: 'ignore' | 'pipe';
  /** How much output to keep for error messages (default 8 KB). */
  keepBytes?: number;
  /** Grace between SIGTERM and SIGKILL in `stop()` (default 3 s). */
  graceMs?: number;
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves with the exit code (or the signal) once `child` has exited; rejects after `ms`. */
export function waitExit(child: ChildProcess, ms: number): Promise<number | string | null> {
  if (hasExited(child)) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit within ${ms} ms`)), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (hasExited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Starts a long-running process whose output is kept for error messages. */
export function startProcess(name: string, file: string, args: string[], options: ProcOptions = {}): Proc {
  const keep = options.keepBytes ?? 8000;
  const child = spawn(file, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] satisfies StdioOptions,
  });
  let out = '';
  let stdout = '';
  const add = (b: Buffer | string) => {
    out = (out + b.toString()).slice(-keep);
  };
  child.on('error', (e) => add(`${file}: ${e.message}\n`));
  child.stdout?.on('data', (b: Buffer) => {
    stdout = (stdout + b.toString()).slice(-keep);
    add(b);
  });
  child.stderr?.on('data', add);
  if (child.pid === undefined) throw new Error(`${name} (${file}) did not start`);
  const pid = child.pid;
  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    pid,
    output: () => out,
    stdout: () => stdout,
    exited: () => hasExited(child),
    stop: () => (stopping ??= stopChild(child, options.graceMs ?? 3000)),
  };
}
