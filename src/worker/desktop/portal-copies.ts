import { constants } from 'node:fs';
import { lstat, open, readFile, realpath, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/errors.js';

/**
 * The portal hands a screenshot over as a file it wrote itself (`results.uri`). dbus-mcp reads
 * it, keeps its own copy in SCREENSHOT_DIR, and then removes the portal's — but only where it
 * knows the file is the user's own leftover (docs/DESKTOP-SERVICES.md):
 *
 * - xdg-desktop-portal-wlr: every screenshot goes to the one fixed `/tmp/out.png` (grim writes
 *   it, mode 0644: readable by every user of the machine, overwritten by the next one);
 * - xdg-desktop-portal-gnome: a new `Screenshot.png`, `Screenshot-1.png`, … (or GNOME Shell's
 *   `Screenshot from …png`) in the Pictures directory (XDG_PICTURES_DIR), else the home, mode
 *   0644, never removed.
 *
 * Any other backend's file (KDE's, a portal not tried here) is left where it is. Removal needs
 * all of: the exact path the portal's answer named, in one of the expected directories (compared
 * after resolving links in the directory), with the expected name; a regular file (lstat: a
 * link is never followed) owned by this user with one link, written since the request was made
 * (an old file of the user's that a portal named is not its leftover); the same file (device and
 * inode) that was read — so a file replaced in the meantime stays.
 */

export interface PortalFile {
  /** The path the portal's uri names. */
  path: string;
  uri: string;
  data: Buffer;
  dev: number;
  ino: number;
  /** When it was last written (ms since the epoch). */
  mtimeMs: number;
}

/** Reads the file a portal answer names: a regular file (not through a link), at most `maxBytes`. */
export async function readPortalFile(uri: string, maxBytes: number): Promise<PortalFile> {
  const path = fileURLToPath(uri);
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw new AppError(
      'PORTAL_REQUEST_FAILED',
      `the portal's file ${path} cannot be read: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw new AppError('PORTAL_REQUEST_FAILED', `the portal's ${path} is not a regular file`);
    if (st.size > maxBytes) throw new AppError('PORTAL_REQUEST_FAILED', `the portal's ${path} is too large`);
    return { path, uri, data: await handle.readFile(), dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs };
  } finally {
    await handle.close();
  }
}

interface KnownCopy {
  backend: string;
  dirs: (env: NodeJS.ProcessEnv) => Promise<string[]>;
  name: RegExp;
}

/** XDG_PICTURES_DIR from user-dirs.dirs (`"$HOME/Pictures"`), when it is set. */
async function picturesDir(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const home = env.HOME;
  if (!home) return undefined;
  const config = env.XDG_CONFIG_HOME || join(home, '.config');
  try {
    const text = await readFile(join(config, 'user-dirs.dirs'), 'utf8');
    const m = /^XDG_PICTURES_DIR="([^"]*)"/m.exec(text);
    if (!m?.[1]) return undefined;
    return m[1].replace(/^\$HOME(?=\/|$)/, home);
  } catch {
    return undefined;
  }
}

const KNOWN_COPIES: readonly KnownCopy[] = [
  { backend: 'xdg-desktop-portal-wlr', dirs: async () => ['/tmp'], name: /^out\.png$/ },
  {
    backend: 'xdg-desktop-portal-gnome',
    dirs: async (env) => {
      const pictures = await picturesDir(env);
      return [...(pictures ? [pictures] : []), ...(env.HOME ? [env.HOME] : [])];
    },
    name: /^Screenshot( from [^/]+?)?(-\d+)?\.png$/,
  },
];

async function real(path: string): Promise<string | undefined> {
  return realpath(path).catch(() => undefined);
}

/** Clock slack between this process and the file system when comparing a file's mtime. */
const MTIME_SLACK_MS = 2000;

/**
 * Removes the portal's own copy `file` when it is the user's known leftover (see above) written
 * since `since` (when the request was made; ms since the epoch); says whether it did and, when
 * not, why (for the result and the log).
 */
export async function removePortalCopy(
  file: PortalFile,
  env: NodeJS.ProcessEnv,
  since: number,
): Promise<{ removed: boolean; reason: string }> {
  const name = basename(file.path);
  const dir = await real(dirname(file.path));
  let known: KnownCopy | undefined;
  for (const k of KNOWN_COPIES) {
    if (!k.name.test(name) || dir === undefined) continue;
    const dirs = await Promise.all((await k.dirs(env)).map(real));
    if (dirs.includes(dir)) known = k;
  }
  if (!known) return { removed: false, reason: 'not a portal backend copy dbus-mcp knows (left in place)' };
  if (file.mtimeMs < since - MTIME_SLACK_MS) {
    return { removed: false, reason: 'not written for this request (left in place)' };
  }
  let st;
  try {
    st = await lstat(file.path);
  } catch {
    return { removed: false, reason: 'already gone' };
  }
  const ours =
    st.isFile() &&
    st.uid === (process.getuid?.() ?? -1) &&
    st.nlink === 1 &&
    st.dev === file.dev &&
    st.ino === file.ino;
  if (!ours) {
    return { removed: false, reason: 'not the regular file of this user that was read (left in place)' };
  }
  try {
    await unlink(file.path);
    return { removed: true, reason: `${known.backend}'s own copy, removed after copying` };
  } catch (e) {
    return { removed: false, reason: `cannot be removed: ${(e as Error).message}` };
  }
}
