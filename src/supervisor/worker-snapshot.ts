import { spawn as spawnProcess } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { WorkerSnapshotStatus } from '../shared/status.js';
import {
  SUM_SUFFIX,
  buildError,
  checkBlob,
  digestOf,
  identity,
  isFile,
  pruneBlobs,
  removeQuietly,
} from './worker-snapshot-files.js';

export { snapshotCacheDir, snapshotScript } from './worker-snapshot-files.js';

/** A snapshot build gets this long before it is killed (it takes about a second of CPU). */
export const SNAPSHOT_BUILD_TIMEOUT_MS = 120_000;
/** Builds run this much nicer than the supervisor: the workers clients wait for come first. */
const BUILD_NICENESS = 10;

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

  /**
   * Gives up a build in progress for now (its ~100 MB would count against the unit's MemoryHigh
   * beside many clients' workers); a later `build()` starts it again.
   */
  pause(): void {
    for (const [key, entry] of this.#entries) {
      if (entry.state !== 'building') continue;
      this.#entries.delete(key);
      entry.child.kill('SIGKILL');
      this.options.log.info('worker snapshot build paused: many clients are connected');
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
    const started = Date.now();
    // Per build: a paused build's late exit must not touch the files of the one after it.
    const partial = `${path}.${process.pid}.${started}.partial`;
    const sumPartial = `${path}${SUM_SUFFIX}.${process.pid}.${started}.partial`;
    const spawn = this.options.spawn ?? spawnProcess;
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
      const entry = this.#entries.get(key);
      if (entry?.state !== 'building' || entry.child !== child) {
        // Paused (or stopped): nothing of this build is kept.
        removeQuietly(partial);
        removeQuietly(sumPartial);
        return;
      }
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
