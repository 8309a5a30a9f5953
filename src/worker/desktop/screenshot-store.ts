import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../shared/config.js';
import { expandHome } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';

/**
 * SCREENSHOT_DIR, the one place screenshots are kept. It must be a real directory (not a
 * symlink) owned by this user with mode 0700, or nothing is saved, listed or pruned there: a
 * screen shows private data, and a directory someone else controls (or one that points
 * elsewhere) would hand it to them or let pruning delete their choice of files. The product
 * names every file itself (`screen-…`/`window-…`, OURS); pruning removes only regular files with
 * such a name that this user owns, never following a link.
 */

/** The files this server saves: `screen-…` / `window-…` images; nothing else in the directory is touched. */
const OURS = /^(screen|window)-[0-9TZ-]+-[0-9a-f]{6}\.(png|jpg)$/;

export interface ShotFile {
  path: string;
  name: string;
  bytes: number;
  modified: string;
}

export interface ImageInfo {
  mimeType: 'image/png' | 'image/jpeg';
  ext: 'png' | 'jpg';
  width?: number;
  height?: number;
}

export function screenshotDir(config: Config): string {
  return expandHome(config.SCREENSHOT_DIR);
}

function uid(): number {
  return process.getuid?.() ?? -1;
}

function unsafe(dir: string, why: string): AppError {
  return new AppError(
    'SCREENSHOT_DIR_UNSAFE',
    `SCREENSHOT_DIR ${dir} ${why}: screenshots are not kept there`,
    {
      details: {
        hint:
          'Point SCREENSHOT_DIR at a directory of your own with mode 0700 (the default ~/.cache/dbus-mcp/screenshots ' +
          'is created that way), or fix this one (chmod 700; owned by you; not a symlink).',
      },
    },
  );
}

/** The reason `st` (an lstat of SCREENSHOT_DIR) is not a safe place, or undefined when it is. */
function unsafeReason(st: Stats): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  if (st.uid !== uid()) return `is owned by uid ${st.uid}, not by this user (uid ${uid()})`;
  const mode = st.mode & 0o777;
  if (mode !== 0o700)
    return `has mode ${mode.toString(8).padStart(4, '0')}, not 0700 (others could read or change it)`;
  return undefined;
}

/** lstat, or undefined when nothing is there. */
async function lstatOrNone(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * SCREENSHOT_DIR, checked (SCREENSHOT_DIR_UNSAFE when it is not safe) and created 0700 (with
 * missing parents) when it does not exist.
 */
export async function ensureScreenshotDir(config: Config): Promise<string> {
  const dir = screenshotDir(config);
  let st = await lstatOrNone(dir);
  if (!st) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    st = await lstat(dir);
  }
  const why = unsafeReason(st);
  if (why) throw unsafe(dir, why);
  return dir;
}

/** SCREENSHOT_DIR, checked, or undefined when it does not exist (a listing creates nothing). */
async function existingScreenshotDir(config: Config): Promise<string | undefined> {
  const dir = screenshotDir(config);
  const st = await lstatOrNone(dir);
  if (!st) return undefined;
  const why = unsafeReason(st);
  if (why) throw unsafe(dir, why);
  return dir;
}

/** What the bytes are: PNG (with its size from IHDR) or JPEG; undefined for anything else. */
export function imageInfo(data: Buffer): ImageInfo | undefined {
  if (
    data.length >= 24 &&
    data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return { mimeType: 'image/png', ext: 'png', width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) {
    return { mimeType: 'image/jpeg', ext: 'jpg' };
  }
  return undefined;
}

/** A fresh file name in the directory for one capture (always one OURS matches). */
export function newShotPath(dir: string, what: 'screen' | 'window', ext: 'png' | 'jpg'): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(dir, `${what}-${stamp}-${randomBytes(3).toString('hex')}.${ext}`);
}

/** Writes a new file (never over an existing one or through a link), mode 0600. */
export async function saveShot(path: string, data: Buffer): Promise<void> {
  await writeFile(path, data, { mode: 0o600, flag: 'wx' });
}

/**
 * Reads a screenshot another process (GNOME Shell) wrote at `path` in SCREENSHOT_DIR: it must be
 * a regular file this user owns (opened without following a link), at most `maxBytes`; it is made
 * 0600 through the open handle.
 */
export async function adoptShot(path: string, maxBytes: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    // ELOOP: a link where the file should be.
    throw new AppError(
      'SCREENSHOT_DIR_UNSAFE',
      `${path} cannot be read as a regular file: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.uid !== uid()) {
      throw new AppError('SCREENSHOT_DIR_UNSAFE', `${path} is not a regular file of this user: not read`);
    }
    if (st.size > maxBytes) {
      throw new AppError('SERVICE_UNAVAILABLE', `${path} is larger than ${maxBytes} bytes: not read`);
    }
    await handle.chmod(0o600);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Regular files with this server's names that this user owns: lstat, so a link is never followed. */
async function ownShots(dir: string): Promise<ShotFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files = await Promise.all(
    names
      .filter((n) => OURS.test(n))
      .map(async (name) => {
        const path = join(dir, name);
        try {
          const s = await lstat(path);
          if (!s.isFile() || s.uid !== uid()) return undefined;
          return { path, name, bytes: s.size, modified: s.mtime.toISOString() };
        } catch {
          return undefined;
        }
      }),
  );
  return files
    .filter((f): f is ShotFile => f !== undefined)
    .sort((a, b) => b.modified.localeCompare(a.modified));
}

/** This server's screenshots in the directory, newest first (SCREENSHOT_DIR_UNSAFE when it is not safe). */
export async function listShots(config: Config): Promise<ShotFile[]> {
  const dir = await existingScreenshotDir(config);
  return dir ? ownShots(dir) : [];
}

/**
 * Removes this server's screenshots older than SCREENSHOT_MAX_AGE_DAYS and all but the newest
 * SCREENSHOT_MAX_FILES. Only its own files (OURS, regular, owned by this user) are candidates;
 * `unlink` removes a name, never what a link points at.
 */
export async function pruneShots(config: Config, now = Date.now()): Promise<number> {
  const dir = await existingScreenshotDir(config);
  if (!dir) return 0;
  const files = await ownShots(dir);
  const maxAgeMs = config.SCREENSHOT_MAX_AGE_DAYS * 86_400_000;
  const doomed = files.filter(
    (f, i) => i >= config.SCREENSHOT_MAX_FILES || now - Date.parse(f.modified) > maxAgeMs,
  );
  await Promise.all(doomed.map((f) => unlink(f.path).catch(() => undefined)));
  return doomed.length;
}
