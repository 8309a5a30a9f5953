import { rmSync } from 'node:fs';
import { after } from 'node:test';
import type { Proc, ProcOptions } from '../support/processes.js';
import { startProcess } from '../support/processes.js';
import { makeTempDir } from '../support/temp.js';

/**
 * Cleanup registry for test helpers: every process a helper starts is tracked by pid and every
 * temp dir by path. `runCleanup` (registered with node:test `after` when this module loads, so
 * it runs once the importing test file is done) runs the registered tasks newest first, then
 * SIGKILLs any tracked pid still alive and removes the dirs. A process 'exit' hook does the
 * kill/remove part synchronously as a last resort (a test file that throws at top level).
 */

type Task = () => void | Promise<void>;

const tasks: Task[] = [];
const pids = new Set<number>();
const dirs = new Set<string>();

export function onCleanup(task: Task): () => void {
  tasks.push(task);
  return () => {
    const i = tasks.lastIndexOf(task);
    if (i >= 0) tasks.splice(i, 1);
  };
}

export function trackPid(pid: number): void {
  pids.add(pid);
}

/** Call once the process has exited (its pid may be reused afterwards). */
export function untrackPid(pid: number): void {
  pids.delete(pid);
}

export function trackDir(dir: string): void {
  dirs.add(dir);
}

/** A fresh `dbus-mcp-<name>-XXXXXX` temp dir, removed when the test file ends. */
export function tempDir(name = 'test'): string {
  const dir = makeTempDir(name);
  trackDir(dir);
  return dir;
}

/** A process (../support/processes.ts) reaped when the test file ends: stopped, then SIGKILLed. */
export function startTracked(name: string, file: string, args: string[], options: ProcOptions = {}): Proc {
  const proc = startProcess(name, file, args, options);
  trackPid(proc.pid);
  proc.child.once('exit', () => untrackPid(proc.pid));
  onCleanup(proc.stop);
  return proc;
}

function killAndRemove(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

export async function runCleanup(): Promise<void> {
  while (tasks.length > 0) {
    const task = tasks.pop();
    try {
      await task?.();
    } catch (e) {
      console.error('cleanup task failed:', e);
    }
  }
  killAndRemove();
}

/** True while `pid` exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

after(runCleanup);
process.once('exit', killAndRemove);
