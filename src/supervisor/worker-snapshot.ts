import { spawn as spawnProcess } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { WorkerSnapshotStatus } from '../shared/status.js';

/** A snapshot build gets this long before it is killed (it takes about a second of CPU). */
export const SNAPSHOT_BUILD_TIMEOUT_MS = 120_000;
/** Builds run this much nicer than the supervisor: the workers clients wait for come first. */
const BUILD_NICENESS = 10;
/** Blobs kept in the cache directory (one per node binary, program build and V8 flags). */
const KEEP_BLOBS = 3;
const BLOB = /^worker-[0-9a-f]{16}\.blob$/;
/** Beside each blob: the SHA-256 of its content, written when it was built; a blob without it is not used. */
const SUM_SUFFIX = '.sha256';

export interface WorkerSnapshotsOptions {
  /** The build's worker-snapshot.cjs; undefined when this program has none (a checkout run through tsx). */
  scriptPath: string | undefined;
  /** Where blobs are kept (0700, ours), or why there is none; asked once, when first needed. */
  cacheDir: () => { path: string } | { off: string };
  /** The node binary workers run (process.execPath). */
  nodePath: string;
  log: Logger;
  /** Starts the builder; default child_process.spawn. */
  spawn?: (file: string, args: string[], options: SpawnOptions) => ChildProcess;
}

type Entry =
  | { state: 'building'; child: ChildProcess; since: number }
  | { state: 'ready'; path: string; identity: string }
  | { state: 'failed'; error: string };

/**
 * V8 startup snapshots of the worker (src/commands/worker-snapshot.ts), one per set of worker V8
 * flags: node refuses a snapshot built with other flags or by another node. `blobFor(flags)` is the
 * blob a worker may be forked from, or undefined; `build(flags)` makes it in the background (nice
 * 10 where allowed, into the cache directory, renamed into place when complete) for later forks. A blob is
 * named by a hash of the node binary (path and identity), the snapshot script's identity and the
 * flags, so a new build of the program or an upgraded node never meets an old blob; the cache
 * keeps the newest few. A blob is used only when its content has the SHA-256 recorded beside it at
 * the build (checked on first use, and again whenever the file changed) and it is ours and not
 * writable by others; one that fails is deleted and built again. A blob a worker could not start
 * from is deleted and not built again until the supervisor restarts.
 */
export class WorkerSnapshots {
  readonly #entries = new Map<string, Entry>();
  #stopped = false;
  #cacheDir: { path: string } | { off: string } | undefined;

  constructor(private readonly options: WorkerSnapshotsOptions) {}

  #dir(): { path: string } | { off: string } {
    this.#cacheDir ??= this.options.cacheDir();
    return this.#cacheDir;
  }

  /** The blob for workers with these V8 flags, if one is ready (built now or by an earlier run). */
  blobFor(execArgv: readonly string[]): string | undefined {
    const target = this.#target(execArgv);
    if (!target) return undefined;
    const entry = this.#entries.get(target.key);
    if (entry && entry.state !== 'ready') return undefined;
    const now = identity(target.path);
    if (entry?.state === 'ready' && entry.identity === now) return entry.path;
    this.#entries.delete(target.key);
    if (now === undefined) return undefined;
    const problem = checkBlob(target.path);
    if (problem) {
      this.options.log.warn(
        { snapshot: target.path, problem },
        'worker snapshot rejected; building it again',
      );
      removeQuietly(target.path);
      removeQuietly(target.path + SUM_SUFFIX);
      return undefined;
    }
    this.#entries.set(target.key, { state: 'ready', path: target.path, identity: now });
    return target.path;
  }

  /** Builds the blob for these V8 flags unless there is one, or a build ran or runs (background). */
  build(execArgv: readonly string[]): void {
    const target = this.#target(execArgv);
    if (!target || this.#entries.has(target.key) || this.blobFor(execArgv)) return;
    this.#build(target.key, target.path, execArgv, target.scriptPath);
  }

  #target(execArgv: readonly string[]): { key: string; path: string; scriptPath: string } | undefined {
    const { scriptPath } = this.options;
    if (this.#stopped || !scriptPath) return undefined;
    const dir = this.#dir();
    if (!('path' in dir)) return undefined;
    const key = this.#key(execArgv, scriptPath);
    return key === undefined ? undefined : { key, path: join(dir.path, `worker-${key}.blob`), scriptPath };
  }

  /** A worker forked from `blob` ended before it started: not used again (deleted, not rebuilt). */
  failed(blob: string, reason: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.state !== 'ready' || entry.path !== blob) continue;
      this.#entries.set(key, { state: 'failed', error: `a worker could not start from it: ${reason}` });
      this.options.log.warn({ snapshot: blob, reason }, 'worker snapshot unusable; workers load the program');
      removeQuietly(blob);
      removeQuietly(blob + SUM_SUFFIX);
    }
  }

  /** For `dbus-mcp status`: the state of the blob for `execArgv` (the current worker flags). */
  describe(execArgv: readonly string[]): WorkerSnapshotStatus {
    if (!this.options.scriptPath) return { state: 'off', detail: 'this build has no worker-snapshot.cjs' };
    const dir = this.#dir();
    if (!('path' in dir)) return { state: 'off', detail: dir.off };
    this.blobFor(execArgv); // one built by an earlier run counts
    const key = this.#key(execArgv, this.options.scriptPath);
    const entry = key === undefined ? undefined : this.#entries.get(key);
    switch (entry?.state) {
      case undefined:
        return { state: 'missing' };
      case 'building':
        return { state: 'building', detail: `since ${new Date(entry.since).toISOString()}` };
      case 'ready':
        return { state: 'ready', file: entry.path };
      case 'failed':
        return { state: 'failed', detail: entry.error };
    }
  }

  /** Kills a build in progress (draining). */
  stop(): void {
    this.#stopped = true;
    for (const entry of this.#entries.values()) if (entry.state === 'building') entry.child.kill('SIGKILL');
  }

  #key(execArgv: readonly string[], scriptPath: string): string | undefined {
    const node = identity(this.options.nodePath);
    const script = identity(scriptPath);
    if (!node || !script) return undefined;
    return createHash('sha256')
      .update(
        JSON.stringify([
          process.version,
          process.arch,
          this.options.nodePath,
          node,
          scriptPath,
          script,
          execArgv,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
  }

  #build(key: string, path: string, execArgv: readonly string[], scriptPath: string): void {
    const { log } = this.options;
    const partial = `${path}.${process.pid}.partial`;
    const sumPartial = `${path}${SUM_SUFFIX}.${process.pid}.partial`;
    const spawn = this.options.spawn ?? spawnProcess;
    const started = Date.now();
    let child: ChildProcess;
    try {
      // No environment: what the build sees must not depend on who built it.
      child = spawn(
        this.options.nodePath,
        [...execArgv, '--snapshot-blob', partial, '--build-snapshot', scriptPath],
        {
          env: {},
          cwd: dirname(path),
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
    } catch (err) {
      this.#entries.set(key, { state: 'failed', error: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.#entries.set(key, { state: 'building', child, since: started });
    log.info({ snapshot: path }, 'building the worker snapshot');
    try {
      if (child.pid !== undefined) setPriority(child.pid, BUILD_NICENESS);
    } catch {
      // best effort: a build at normal priority is only a little more in the way
    }
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 16_384) stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), SNAPSHOT_BUILD_TIMEOUT_MS);
    timer.unref();
    const done = (error: string | undefined): void => {
      clearTimeout(timer);
      if (this.#entries.get(key)?.state !== 'building') return;
      if (error === undefined) {
        try {
          chmodSync(partial, 0o600);
          // The digest first: a blob in place always has its digest beside it.
          writeFileSync(sumPartial, `${digestOf(partial)}\n`, { mode: 0o600 });
          renameSync(sumPartial, path + SUM_SUFFIX);
          renameSync(partial, path);
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
      }
      if (error !== undefined) {
        removeQuietly(partial);
        removeQuietly(sumPartial);
        this.#entries.set(key, { state: 'failed', error });
        log.warn({ snapshot: path, error }, 'worker snapshot not built; workers load the program');
        return;
      }
      this.#entries.set(key, { state: 'ready', path, identity: identity(path) ?? '' });
      log.info({ snapshot: path, buildMs: Date.now() - started }, 'worker snapshot ready');
      pruneBlobs(dirname(path), path);
    };
    child.once('error', (err) => done(err.message));
    child.once('exit', (code, signal) => {
      if (code === 0 && isFile(partial)) done(undefined);
      else
        done(
          `the build ended with ${signal ? `signal ${signal}` : `exit code ${code}`}${buildError(stderr)}`,
        );
    });
  }
}

/** What identifies a file's content without reading it: a new build or an upgraded node changes it. */
function identity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** SHA-256 of a file, read in small pieces: the supervisor never holds a whole ~9 MB blob. */
function digestOf(path: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(256 * 1024);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Why the blob at `path` must not be used (not ours, writable by others, damaged), or undefined. */
function checkBlob(path: string): string | undefined {
  try {
    const st = statSync(path);
    const uid = process.getuid?.();
    if (!st.isFile() || st.size === 0) return 'not a complete file';
    if (uid !== undefined && st.uid !== uid) return 'it belongs to another user';
    if ((st.mode & 0o022) !== 0) return `it may be written by others (mode ${(st.mode & 0o777).toString(8)})`;
    const recorded = readFileSync(path + SUM_SUFFIX, 'utf8').trim();
    if (digestOf(path) !== recorded)
      return 'its content does not match the digest recorded when it was built';
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'no digest recorded beside it'
      : err instanceof Error
        ? err.message
        : String(err);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile() && statSync(path).size > 0;
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

/** The last line of the builder's stderr that is not one of node's experimental-module warnings. */
function buildError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\(node:\d+\) Warning|may still work|To request support|--trace-warnings/.test(l));
  return lines.length ? `: ${lines[lines.length - 1]}` : '';
}

/** Keeps the newest KEEP_BLOBS blobs (and `keep`), so builds for old versions do not pile up. */
function pruneBlobs(dir: string, keep: string): void {
  try {
    const blobs = readdirSync(dir)
      .filter((f) => BLOB.test(f))
      .map((f) => ({ path: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of blobs.slice(KEEP_BLOBS)) {
      if (old.path === keep) continue;
      removeQuietly(old.path);
      removeQuietly(old.path + SUM_SUFFIX);
    }
  } catch {
    // a cache we cannot tidy is still a cache
  }
}

/**
 * The snapshot script of the program at `programPath`: lib/dbus-mcp/worker-snapshot.cjs beside its
 * bin/ (scripts/build.mjs, install.sh), or undefined (a checkout run through tsx has none).
 */
export function snapshotScript(programPath: string): string | undefined {
  try {
    const path = join(dirname(realpathSync(programPath)), '..', 'lib', 'dbus-mcp', 'worker-snapshot.cjs');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The directory worker snapshots are kept in: `snapshots/` in systemd's CacheDirectory= (the unit
 * sets `CacheDirectory=dbus-mcp`, ~/.cache/dbus-mcp, writable inside the sandbox), else in
 * `$XDG_CACHE_HOME/dbus-mcp`, else `~/.cache/dbus-mcp`. Created 0700; one that another user owns
 * or others may write to is not used (a blob is code every worker runs).
 */
export function snapshotCacheDir(env: NodeJS.ProcessEnv): { path: string } | { off: string } {
  const systemd = env.CACHE_DIRECTORY?.split(':')[0];
  const xdg = env.XDG_CACHE_HOME?.startsWith('/') ? join(env.XDG_CACHE_HOME, 'dbus-mcp') : undefined;
  const home = env.HOME?.startsWith('/') ? join(env.HOME, '.cache', 'dbus-mcp') : undefined;
  const base = systemd || xdg || home;
  if (!base) return { off: 'no cache directory (neither CACHE_DIRECTORY, XDG_CACHE_HOME nor HOME is set)' };
  const path = join(base, 'snapshots');
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const st = statSync(path);
    const uid = process.getuid?.();
    if (!st.isDirectory()) return { off: `${path} is not a directory` };
    if (uid !== undefined && st.uid !== uid) return { off: `${path} belongs to another user` };
    if ((st.mode & 0o022) !== 0)
      return { off: `${path} may be written by others (mode ${(st.mode & 0o777).toString(8)})` };
    return { path };
  } catch (err) {
    return { off: `${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
