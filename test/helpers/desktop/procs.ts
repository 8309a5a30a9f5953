import { spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdirSync } from 'node:fs';
import type { Proc } from '../../support/processes.js';
import { waitFor } from '../../support/wait.js';
import { onCleanup, startTracked, trackPid, untrackPid } from '../cleanup.js';

/**
 * Processes of a real desktop session for tests. When the tests run as root, everything of the
 * desktop (the session bus, sway, the portals, the players, the product itself) runs as one
 * unprivileged user (`nobody`, 65534) through `setpriv`: sway and VLC refuse root, and a real
 * session is one user. As any other user, everything runs as that user. Every process is
 * registered with ../cleanup.ts and stopped (SIGTERM, then SIGKILL) when the test file ends.
 */

export interface DesktopUser {
  uid: number;
  gid: number;
  /** True when processes are started through setpriv (the tests run as root). */
  switched: boolean;
}

const NOBODY = 65534;

export function desktopUser(): DesktopUser {
  const uid = process.getuid?.() ?? NOBODY;
  if (uid === 0) return { uid: NOBODY, gid: NOBODY, switched: true };
  return { uid, gid: process.getgid?.() ?? uid, switched: false };
}

/** `cmd args` as the desktop user (through setpriv when the tests run as root). */
export function asUser(user: DesktopUser, cmd: string, args: string[]): [string, string[]] {
  if (!user.switched) return [cmd, args];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', cmd, ...args]];
}

/** A directory the desktop user owns (mode `mode`), created with its parents. */
export function userDir(user: DesktopUser, path: string, mode = 0o700): string {
  mkdirSync(path, { recursive: true });
  if (user.switched) chownSync(path, user.uid, user.gid);
  chmodSync(path, mode);
  return path;
}

/** True when `cmd` is an executable on PATH. */
export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export type { Proc } from '../../support/processes.js';

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  /** Run as this user (through setpriv when needed); without it, as the test process. */
  user?: DesktopUser;
  cwd?: string;
  /** 'pipe' keeps stdin open (a process that ends when it closes). */
  stdin?: 'ignore' | 'pipe';
}

/** Starts a tracked long-running process (as `opts.user` when given); its output is kept for error messages. */
export function startProcess(name: string, cmd: string, args: string[], opts: StartOptions): Proc {
  const [file, argv] = opts.user ? asUser(opts.user, cmd, args) : [cmd, args];
  return startTracked(name, file, argv, { env: opts.env, cwd: opts.cwd, stdin: opts.stdin });
}

/**
 * Polls `probe` until it returns something other than undefined/false. Fails naming `what` (and
 * the output of `proc` when given) after `ms`, or at once when `proc` exits.
 */
export function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  opts: { ms?: number; proc?: Proc } = {},
): Promise<T> {
  const { proc } = opts;
  return waitFor(what, probe, {
    ms: opts.ms ?? 20_000,
    intervalMs: 50,
    abort: () =>
      proc?.exited()
        ? `${proc.name} exited:
${proc.output()}`
        : undefined,
  }).catch((e: Error) => {
    throw proc && !proc.exited()
      ? new Error(`${e.message}:
${proc.output()}`)
      : e;
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion (a service's own client tool), with a deadline. */
export function runTool(
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; user?: DesktopUser; input?: string; timeoutMs?: number },
): Promise<RunResult> {
  const [file, argv] = opts.user ? asUser(opts.user, cmd, args) : [cmd, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackPid(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${cmd} ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 15_000} ms: ${stderr}`),
      );
    }, opts.timeoutMs ?? 15_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // A tool that daemonizes (xclip -i) may leave its output pipes to the child it forks:
    // settle on exit, giving the pipes a moment to drain.
    let settled = false;
    const settle = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.pid !== undefined) untrackPid(child.pid);
      resolve({ code, stdout, stderr });
    };
    child.on('close', (code) => settle(code));
    child.on('exit', (code) => setTimeout(() => settle(code), 200));
    // A tool that exits without reading its input must not fail the test with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** runTool that insists on exit 0 and returns stdout. */
export async function mustRun(
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; user?: DesktopUser; input?: string; timeoutMs?: number },
): Promise<string> {
  const r = await runTool(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Holds a machine-wide lock (flock on `path`) until the test file ends. xdg-desktop-portal-wlr
 * writes every screenshot to the one fixed file /tmp/out.png, so two test runs on one machine
 * (several engineers share it) must not drive it at the same time. The lock is released when
 * the holder's stdin closes, which also happens when this process dies.
 */
export async function holdLock(path: string, timeoutMs = 300_000): Promise<void> {
  const holder = startProcess(
    `lock ${path}`,
    'flock',
    ['-w', String(Math.ceil(timeoutMs / 1000)), path, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    { env: process.env, stdin: 'pipe' },
  );
  onCleanup(() => {
    holder.child.stdin?.end();
  });
  await waitUntil(`the lock ${path}`, () => holder.stdout().includes('locked'), {
    ms: timeoutMs + 5000,
    proc: holder,
  });
}
