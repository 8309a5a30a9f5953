import assert from 'node:assert/strict';
import {
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { PortalFile } from '../../../../src/worker/desktop/portal-copies.js';
import { readPortalFile, removePortalCopy } from '../../../../src/worker/desktop/portal-copies.js';
import { trackDir } from '../../../helpers/cleanup.js';

/**
 * Issue 15 point 8: the portal's own copy of a screenshot is removed only when it is the user's
 * known leftover — the exact file the answer named, in the place its backend writes, a regular
 * file of this user with one link, the very file that was read. (xdg-desktop-portal-wlr's fixed
 * /tmp/out.png is exercised against the real portal in real-desktop-screenshot.test.ts; these
 * cases use GNOME's Screenshot*.png in the home or the Pictures directory.)
 */

const MAX = 1024 * 1024;
/** When the request was made: before every file these tests write. */
const START = Date.now() - 1000;

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-copies-'));
  trackDir(dir);
  return dir;
}

async function shot(path: string): Promise<PortalFile> {
  writeFileSync(path, 'png bytes');
  return readPortalFile(pathToFileURL(path).href, MAX);
}

test("GNOME's Screenshot.png and Screenshot-2.png in the home are removed after reading", async () => {
  const h = home();
  for (const name of ['Screenshot.png', 'Screenshot-2.png', 'Screenshot from 2024-05-01 10-00-00.png']) {
    const file = await shot(join(h, name));
    assert.equal(file.data.toString(), 'png bytes');
    const r = await removePortalCopy(file, { HOME: h }, START);
    assert.deepEqual(r, {
      removed: true,
      reason: "xdg-desktop-portal-gnome's own copy, removed after copying",
    });
    assert.equal(existsSync(join(h, name)), false, name);
  }
});

test('the Pictures directory of user-dirs.dirs is the expected place too', async () => {
  const h = home();
  mkdirSync(join(h, '.config'));
  mkdirSync(join(h, 'Bilder'));
  writeFileSync(join(h, '.config', 'user-dirs.dirs'), 'XDG_PICTURES_DIR="$HOME/Bilder"\n');
  const file = await shot(join(h, 'Bilder', 'Screenshot-1.png'));
  assert.equal((await removePortalCopy(file, { HOME: h }, START)).removed, true);
});

test('a file with another name, or in another directory, is left in place', async () => {
  const h = home();
  const other = await shot(join(h, 'holiday.png'));
  assert.equal((await removePortalCopy(other, { HOME: h }, START)).removed, false);
  assert.ok(existsSync(other.path));
  mkdirSync(join(h, 'sub'));
  const deeper = await shot(join(h, 'sub', 'Screenshot.png'));
  assert.equal((await removePortalCopy(deeper, { HOME: h }, START)).removed, false);
  assert.ok(existsSync(deeper.path));
});

test('a directory that is a link to the home does not count as the home', async () => {
  const h = home();
  const elsewhere = home();
  const link = join(h, 'link-to-elsewhere');
  symlinkSync(elsewhere, link);
  const file = await shot(join(link, 'Screenshot.png'));
  assert.equal((await removePortalCopy(file, { HOME: h }, START)).removed, false);
  assert.ok(existsSync(join(elsewhere, 'Screenshot.png')));
});

test('a link the answer names is not read, and a file swapped for a link after reading is not removed', async () => {
  const h = home();
  const target = join(home(), 'precious.png');
  writeFileSync(target, 'precious');
  symlinkSync(target, join(h, 'Screenshot.png'));
  await assert.rejects(readPortalFile(pathToFileURL(join(h, 'Screenshot.png')).href, MAX), {
    code: 'PORTAL_REQUEST_FAILED',
  });

  const path = join(h, 'Screenshot-1.png');
  const file = await shot(path);
  renameSync(path, join(h, 'moved.png'));
  symlinkSync(target, path);
  const r = await removePortalCopy(file, { HOME: h }, START);
  assert.equal(r.removed, false);
  assert.equal(readFileSync(target, 'utf8'), 'precious');
  assert.ok(existsSync(path), 'the link stays');
});

test('a file replaced after reading (another inode) or hard-linked elsewhere stays', async () => {
  const h = home();
  const path = join(h, 'Screenshot.png');
  const file = await shot(path);
  writeFileSync(join(h, 'new.png'), 'someone else');
  renameSync(join(h, 'new.png'), path);
  assert.equal((await removePortalCopy(file, { HOME: h }, START)).removed, false);
  assert.equal(readFileSync(path, 'utf8'), 'someone else');

  const linked = join(h, 'Screenshot-1.png');
  const second = await shot(linked);
  linkSync(linked, join(home(), 'kept-by-a-link.png'));
  assert.equal((await removePortalCopy(second, { HOME: h }, START)).removed, false);
  assert.ok(existsSync(linked));
});

test(
  "another user's file is never removed",
  { skip: process.getuid?.() !== 0 && 'needs root to chown' },
  async () => {
    const h = home();
    const path = join(h, 'Screenshot.png');
    const file = await shot(path);
    chownSync(path, 65534, 65534);
    assert.equal((await removePortalCopy(file, { HOME: h }, START)).removed, false);
    assert.ok(existsSync(path));
  },
);

test('a file the portal named that was not written for this request (an old one of the user) stays', async () => {
  const h = home();
  const path = join(h, 'Screenshot.png');
  writeFileSync(path, 'last year');
  const longAgo = new Date('2025-01-01T00:00:00Z');
  utimesSync(path, longAgo, longAgo);
  const file = await readPortalFile(pathToFileURL(path).href, MAX);
  assert.deepEqual(await removePortalCopy(file, { HOME: h }, Date.now()), {
    removed: false,
    reason: 'not written for this request (left in place)',
  });
  assert.ok(existsSync(path));
});

test('a file that is already gone is reported as such', async () => {
  const h = home();
  const path = join(h, 'Screenshot.png');
  const file = await shot(path);
  renameSync(path, join(h, 'x'));
  assert.deepEqual(await removePortalCopy(file, { HOME: h }, START), {
    removed: false,
    reason: 'already gone',
  });
});
