/**
 * Issue 12 §7, the screenshot files: SCREENSHOT_DIR must be a 0700 directory of this user (not a
 * symlink, not someone else's, not open to others) or nothing is saved, listed or pruned there;
 * pruning deletes only the product's own regular files, never through a link; GNOME Shell is
 * always told a path the product chose inside SCREENSHOT_DIR, and a file it claims to have written
 * elsewhere is not read. Against a real dbus-daemon with a mock portal and a mock GNOME Shell.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Variant } from 'dbus-next';
import type { MockService, TestBus } from '../helpers/buses.js';
import { addMockMethod, mockCall, startMock, startSessionBus } from '../helpers/buses.js';
import { trackDir } from '../helpers/cleanup.js';
import type { InMemorySession } from '../helpers/mcp.js';
import { callTool, connectInMemory, errorName, toolError } from '../helpers/mcp.js';

const PORTAL_TEMPLATE = join(import.meta.dirname, '..', 'fixtures', 'mocks', 'portal_screenshot.py');
const SHOT = /^(screen|window)-[0-9TZ-]+-[0-9a-f]{6}\.png$/;
const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;

function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4);
  ihdr.writeUInt32BE(2, 8);
  ihdr.writeUInt32BE(1, 12);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

const root = mkdtempSync(join(tmpdir(), 'dbus-mcp-shotfiles-'));
trackDir(root);
let bus: TestBus;
let gnome: MockService;
const open: InMemorySession[] = [];

const gnomeMethod = (code: string) =>
  addMockMethod(bus, gnome, {
    path: '/org/gnome/Shell/Screenshot',
    interface: 'org.gnome.Shell.Screenshot',
    name: 'ScreenshotWindow',
    inSig: 'bbbs',
    outSig: 'bs',
    code,
  });
const WRITES_TARGET = `open(args[3], "wb").write(bytes.fromhex("${tinyPng().toString('hex')}")); ret = (True, args[3])`;

before(async () => {
  bus = await startSessionBus();
  const png = join(root, 'portal-shot.png');
  writeFileSync(png, tinyPng());
  await startMock(
    bus,
    ['--template', PORTAL_TEMPLATE, '-p', JSON.stringify({ uri: pathToFileURL(png).href })],
    { name: 'org.freedesktop.portal.Desktop', path: '/org/freedesktop/portal/desktop' },
  );
  gnome = await startMock(bus, [
    '--session',
    'org.gnome.Shell.Screenshot',
    '/org/gnome/Shell/Screenshot',
    'org.gnome.Shell.Screenshot',
  ]);
  await gnomeMethod(WRITES_TARGET);
});
after(async () => {
  for (const s of open) await s.close();
});

async function connect(dir: string, extra: Record<string, string> = {}): Promise<InMemorySession> {
  const s = await connectInMemory({
    settings: {
      SESSION_BUS_ADDRESS: bus.address,
      SAFETY_LEVEL: 'medium',
      SCREENSHOT_DIR: dir,
      RATE_LIMIT_SCREENSHOT: '100',
      ...extra,
    },
  });
  open.push(s);
  return s;
}

/** A directory made for one case, with `mode`. */
function dirWith(name: string, mode: number): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode });
  return dir;
}

async function expectUnsafe(s: InMemorySession, why: RegExp): Promise<void> {
  for (const tool of ['capture_screen', 'list_screenshot_files']) {
    const r = await callTool(s.client, tool);
    assert.equal(errorName(r), 'dbus-mcp.SCREENSHOT_DIR_UNSAFE', `${tool}: ${JSON.stringify(r.content)}`);
    assert.match(toolError(r).message, why);
    assert.match(String(toolError(r).hint), /0700/);
  }
}

describe('SCREENSHOT_DIR that is not a private directory of this user is refused', () => {
  test('a symlink to a directory: refused, nothing lands where it points', async () => {
    const target = dirWith('link-target', 0o700);
    const link = join(root, 'link');
    symlinkSync(target, link);
    await expectUnsafe(await connect(link), /is a symbolic link/);
    assert.deepEqual(readdirSync(target), []);
  });

  test('a 0755 directory: refused, nothing saved in it', async () => {
    const dir = dirWith('open-0755', 0o755);
    await expectUnsafe(await connect(dir), /has mode 0755, not 0700/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a file where the directory should be: refused', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    await expectUnsafe(await connect(file), /is not a directory/);
    assert.equal(readFileSync(file, 'utf8'), 'not a directory');
  });

  test('a directory owned by another user: refused', { skip: !isRoot && 'needs root to chown' }, async () => {
    const dir = dirWith('other-uid', 0o700);
    chownSync(dir, OTHER_UID, OTHER_UID);
    await expectUnsafe(await connect(dir), new RegExp(`owned by uid ${OTHER_UID}`));
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a missing directory is created 0700 (with its parents) and used', async () => {
    const dir = join(root, 'fresh', 'nested', 'shots');
    const r = await callTool((await connect(dir)).client, 'capture_screen');
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(String(r.structuredContent?.path).startsWith(`${dir}/`));
  });
});

describe('pruning deletes only the product own regular files, never through a link', () => {
  test('a planted symlink with the product name pattern, pointing outside, survives with its target', async () => {
    const dir = dirWith('planted', 0o700);
    const outside = join(root, 'precious.txt');
    writeFileSync(outside, 'not a screenshot');
    const planted = join(dir, 'screen-2000-01-01T00-00-00-000Z-abcdef.png');
    symlinkSync(outside, planted);
    const s = await connect(dir, { SCREENSHOT_MAX_FILES: '1' });
    for (let i = 0; i < 3; i++) {
      const r = await callTool(s.client, 'capture_screen');
      assert.equal(r.isError, undefined, JSON.stringify(r.content));
    }
    const listed = await callTool(s.client, 'list_screenshot_files');
    const files = listed.structuredContent?.files as { path: string }[];
    assert.equal(files.length, 1);
    assert.ok(!files.some((f) => f.path === planted), 'a link is not listed as a screenshot');
    assert.ok(lstatSync(planted).isSymbolicLink(), 'the planted link is left alone');
    assert.equal(readFileSync(outside, 'utf8'), 'not a screenshot');
  });

  test('files the product did not write stay; its own old ones go', async () => {
    const dir = dirWith('mixed', 0o700);
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'mine, not a screenshot');
    const lookalike = join(dir, 'screen-shot.png');
    writeFileSync(lookalike, tinyPng());
    const old = join(dir, 'screen-2001-01-01T00-00-00-000Z-123456.png');
    writeFileSync(old, tinyPng());
    const longAgo = new Date('2001-01-01T00:00:00Z');
    utimesSync(old, longAgo, longAgo);
    const foreign = join(dir, 'screen-2001-01-02T00-00-00-000Z-654321.png');
    writeFileSync(foreign, tinyPng());
    utimesSync(foreign, longAgo, longAgo);
    if (isRoot) chownSync(foreign, OTHER_UID, OTHER_UID);
    const r = await callTool((await connect(dir)).client, 'list_screenshot_files');
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    assert.equal(existsSync(old), false, 'its own screenshot past SCREENSHOT_MAX_AGE_DAYS is pruned');
    assert.equal(r.structuredContent?.pruned, isRoot ? 1 : 2);
    assert.ok(existsSync(notes));
    assert.ok(existsSync(lookalike), 'a name that is not the product pattern stays');
    if (isRoot) assert.ok(existsSync(foreign), "another user's file with the product's name stays");
  });

  test('list_screenshot_files says it prunes: destructive, not read-only', async () => {
    const s = await connect(join(root, 'unused'));
    const { tools } = await s.client.listTools();
    const tool = tools.find((t) => t.name === 'list_screenshot_files');
    assert.equal(tool?.annotations?.destructiveHint, true);
    assert.equal(tool?.annotations?.readOnlyHint, false);
    assert.match(String(tool?.description), /prunes/);
    assert.match(String(tool?.annotations?.title), /prunes/);
  });
});

describe('GNOME Shell writes only where the product tells it', () => {
  test('ScreenshotWindow gets a new path the product chose inside SCREENSHOT_DIR; the file is made 0600', async () => {
    await gnomeMethod(WRITES_TARGET);
    const dir = dirWith('gnome', 0o700);
    const r = await callTool((await connect(dir)).client, 'capture_active_window');
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    const [calls] = (await mockCall(bus, gnome, 'GetMethodCalls', 's', ['ScreenshotWindow'])) as [
      [bigint, Variant[]][],
    ];
    const told = String(calls.at(-1)?.[1][3]?.value);
    assert.ok(told.startsWith(`${dir}/`), told);
    assert.match(told.slice(dir.length + 1), SHOT);
    assert.equal(r.structuredContent?.path, told);
    assert.equal(statSync(told).mode & 0o777, 0o600);
  });

  test('a filename GNOME Shell says it used elsewhere is not read', async () => {
    const elsewhere = join(root, 'elsewhere.png');
    writeFileSync(elsewhere, tinyPng());
    chmodSync(elsewhere, 0o644);
    await gnomeMethod(`ret = (True, "${elsewhere}")`);
    const r = await callTool(
      (await connect(dirWith('gnome-elsewhere', 0o700))).client,
      'capture_active_window',
    );
    assert.equal(errorName(r), 'dbus-mcp.SERVICE_UNAVAILABLE', JSON.stringify(r.content));
    assert.match(toolError(r).message, /not read/);
    assert.equal(statSync(elsewhere).mode & 0o777, 0o644, 'its mode is not touched');
  });

  test('a link GNOME Shell (or anyone) put at the chosen path is not followed', async () => {
    const outside = join(root, 'outside-target.png');
    writeFileSync(outside, tinyPng());
    chmodSync(outside, 0o644);
    await gnomeMethod(`import os; os.symlink("${outside}", args[3]); ret = (True, args[3])`);
    const r = await callTool((await connect(dirWith('gnome-link', 0o700))).client, 'capture_active_window');
    assert.equal(errorName(r), 'dbus-mcp.SCREENSHOT_DIR_UNSAFE', JSON.stringify(r.content));
    assert.equal(
      statSync(outside).mode & 0o777,
      0o644,
      'the target keeps its mode (no chmod through the link)',
    );
    await gnomeMethod(WRITES_TARGET);
  });

  test('call_method cannot have GNOME Shell write where the client says: refused at low under allow * * * * *, nothing reaches it', async () => {
    for (const [name, inSig] of [
      ['Screenshot', 'bbs'],
      ['ScreenshotArea', 'iiiibs'],
    ] as const) {
      await addMockMethod(bus, gnome, {
        path: '/org/gnome/Shell/Screenshot',
        interface: 'org.gnome.Shell.Screenshot',
        name,
        inSig,
        outSig: 'bs',
        code: `open(args[-1], "wb").write(b"x"); ret = (True, args[-1])`,
      });
    }
    const rules = dirWith('rules-all', 0o700);
    writeFileSync(join(rules, 'all.rules'), 'allow * * * * *\n');
    const s = await connect(dirWith('gnome-generic', 0o700), { SAFETY_LEVEL: 'low', POLICY_DIRS: rules });
    const target = join(root, 'victim.txt');
    writeFileSync(target, 'the user file');
    const base = {
      bus: 'session',
      service: 'org.gnome.Shell.Screenshot',
      path: '/org/gnome/Shell/Screenshot',
    };
    const attempts = [
      {
        interface: 'org.gnome.Shell.Screenshot',
        method: 'ScreenshotWindow',
        args: [true, false, false, target],
      },
      { interface: 'org.gnome.Shell.Screenshot', method: 'Screenshot', args: [false, false, target] },
      {
        interface: 'org.gnome.Shell.Screenshot',
        method: 'ScreenshotArea',
        args: [0, 0, 1, 1, false, target],
      },
      // Without an interface the bus delivers it to whichever has the member.
      { method: 'ScreenshotWindow', args: [true, false, false, target], signature: 'bbbs' },
    ];
    for (const a of attempts) {
      const r = await callTool(s.client, 'call_method', { ...base, ...a });
      assert.equal(errorName(r), 'dbus-mcp.POLICY_DENIED', `${a.method}: ${JSON.stringify(r.content)}`);
      assert.match(toolError(r).message, /only capture_screen and capture_active_window send it/);
    }
    const calls = await mockCall(bus, gnome, 'GetCalls', '', []);
    const reached = (calls[0] as [bigint, string, Variant[]][]).filter(([, , args]) =>
      args.some((v) => v.value === target),
    );
    assert.deepEqual(reached, [], 'nothing with the client path reached GNOME Shell');
    assert.equal(readFileSync(target, 'utf8'), 'the user file');
    // The product's own route still works at this level.
    const own = await callTool(s.client, 'capture_active_window');
    assert.equal(own.isError, undefined, JSON.stringify(own.content));
  });
});
