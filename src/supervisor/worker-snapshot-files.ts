import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The files of the worker snapshot cache: where it lives, what identifies a blob, the digest
 * recorded beside it, the checks before a blob is used, pruning. worker-snapshot.ts builds and
 * hands out blobs with these.
 */

/** Blobs kept in the cache directory (one per node binary, program build and V8 flags). */
const KEEP_BLOBS = 3;
const BLOB = /^worker-[0-9a-f]{16}\.blob$/;
/** Beside each blob: the SHA-256 of its content, written when it was built; a blob without it is not used. */
export const SUM_SUFFIX = '.sha256';

/** What identifies a file's content without reading it: a new build or an upgraded node changes it. */
export function identity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** SHA-256 of a file, read in small pieces: the supervisor never holds a whole ~9 MB blob. */
export function digestOf(path: string): string {
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

/** Why a cache file with these stats must not be used (not a file, not ours, writable by others), or undefined. */
export function foreignFile(st: Stats): string | undefined {
  const uid = process.getuid?.();
  if (!st.isFile() || st.size === 0) return 'not a complete file';
  if (uid !== undefined && st.uid !== uid) return 'it belongs to another user';
  if ((st.mode & 0o022) !== 0) return `it may be written by others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/** Why the blob at `path` must not be used (not ours, writable by others, damaged), or undefined. */
export function checkBlob(path: string): string | undefined {
  try {
    const foreign = foreignFile(statSync(path));
    if (foreign) return foreign;
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

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile() && statSync(path).size > 0;
  } catch {
    return false;
  }
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

/** The last line of the builder's stderr that is not one of node's experimental-module warnings. */
export function buildError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\(node:\d+\) Warning|may still work|To request support|--trace-warnings/.test(l));
  return lines.length ? `: ${lines[lines.length - 1]}` : '';
}

/** Keeps the newest KEEP_BLOBS blobs (and `keep`), so builds for old versions do not pile up. */
export function pruneBlobs(dir: string, keep: string): void {
  pruneNewest(dir, BLOB, KEEP_BLOBS, keep, (old) => {
    removeQuietly(old);
    removeQuietly(old + SUM_SUFFIX);
  });
}

/** Of the files in `dir` named like `name`, keeps the newest `count` (and `keep`); `remove`s the rest. */
export function pruneNewest(
  dir: string,
  name: RegExp,
  count: number,
  keep: string,
  remove: (path: string) => void = removeQuietly,
): void {
  try {
    const files = readdirSync(dir)
      .filter((f) => name.test(f))
      .map((f) => ({ path: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of files.slice(count)) if (old.path !== keep) remove(old.path);
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
