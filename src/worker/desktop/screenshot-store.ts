import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../shared/config.js';
import { expandHome } from '../../shared/config.js';

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

/**
 * Creates the directory (and missing parents) with mode 0700 and returns it. A directory that
 * already exists keeps its mode: an operator may point SCREENSHOT_DIR at a shared folder on purpose.
 */
export async function ensureScreenshotDir(config: Config): Promise<string> {
  const dir = screenshotDir(config);
  if ((await mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined) await chmod(dir, 0o700);
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

/** A fresh file name in the directory for one capture. */
export function newShotPath(dir: string, what: 'screen' | 'window', ext: 'png' | 'jpg'): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(dir, `${what}-${stamp}-${randomBytes(3).toString('hex')}.${ext}`);
}

export async function saveShot(path: string, data: Buffer): Promise<void> {
  await writeFile(path, data, { mode: 0o600, flag: 'wx' });
}

/** This server's screenshots in the directory, newest first. */
export async function listShots(config: Config): Promise<ShotFile[]> {
  const dir = screenshotDir(config);
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
        try {
          const s = await stat(join(dir, name));
          if (!s.isFile()) return undefined;
          return { path: join(dir, name), name, bytes: s.size, modified: s.mtime.toISOString() };
        } catch {
          return undefined;
        }
      }),
  );
  return files
    .filter((f): f is ShotFile => f !== undefined)
    .sort((a, b) => b.modified.localeCompare(a.modified));
}

/** Removes screenshots older than SCREENSHOT_MAX_AGE_DAYS and all but the newest SCREENSHOT_MAX_FILES. */
export async function pruneShots(config: Config, now = Date.now()): Promise<number> {
  const files = await listShots(config);
  const maxAgeMs = config.SCREENSHOT_MAX_AGE_DAYS * 86_400_000;
  const doomed = files.filter(
    (f, i) => i >= config.SCREENSHOT_MAX_FILES || now - Date.parse(f.modified) > maxAgeMs,
  );
  await Promise.all(doomed.map((f) => unlink(f.path).catch(() => undefined)));
  return doomed.length;
}
