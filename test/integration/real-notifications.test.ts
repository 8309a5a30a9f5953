import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Variant } from 'dbus-next';
import type { TestBus } from '../helpers/buses.js';
import { nameOwner, rawCall, startSessionBus, startSystemLikeBus } from '../helpers/buses.js';
import { onCleanup, trackDir, trackPid, untrackPid } from '../helpers/cleanup.js';
import type { InMemorySession } from '../helpers/mcp.js';
import { callTool, connectInMemory } from '../helpers/mcp.js';

/**
 * The `notify` tool against a real notification server: Debian's dunst on an Xvfb display,
 * connected to a private session bus. dunst's own control interface (org.dunstproject.cmd0)
 * lets the test see what the server really received.
 */

const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
const DUNST = 'org.dunstproject.cmd0';

/** True when `cmd` is an executable on PATH (scripts/test.sh installs xvfb and dunst when root). */
function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const missing = ['Xvfb', 'dunst'].filter((c) => !onPath(c));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Spawns a tracked child, its output kept (last 4 KB, and stdout alone) for errors; reaped at cleanup. */
function spawnTracked(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string; stdout: () => string } {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  const add = (b: Buffer | string) => {
    out = (out + b.toString()).slice(-4000);
  };
  child.on('error', (e) => add(`${cmd}: ${e.message}\n`));
  child.stdout?.on('data', (b: Buffer) => {
    stdout = (stdout + b.toString()).slice(-4000);
    add(b);
  });
  child.stderr?.on('data', add);
  if (child.pid === undefined) throw new Error(`${cmd} did not start`);
  const pid = child.pid;
  trackPid(pid);
  onCleanup(async () => {
    if (!exited(child)) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    }
    untrackPid(pid);
  });
  return { child, output: () => out, stdout: () => stdout };
}

/**
 * Xvfb on a display it picks itself (-displayfd: it takes the first free number and writes it
 * to stdout once it listens, so parallel runs never race for one), resolved once its socket
 * exists. Xvfb logs to stderr the displays it found taken on the way.
 */
async function startXvfb(): Promise<string> {
  const { child, output, stdout } = spawnTracked(
    'Xvfb',
    ['-displayfd', '1', '-nolisten', 'tcp', '-screen', '0', '640x480x24'],
    process.env,
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const n = /^(\d+)\n/.exec(stdout())?.[1];
    if (n !== undefined && existsSync(`/tmp/.X11-unix/X${n}`)) return `:${n}`;
    if (exited(child)) throw new Error(`Xvfb exited: ${output()}`);
    if (Date.now() > deadline) throw new Error(`Xvfb gave no display in time: ${output()}`);
    await sleep(25);
  }
}

/** dunst on `display`, talking to `bus`, with an empty config (its built-in defaults). */
async function startDunst(bus: TestBus, display: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-dunst-'));
  trackDir(dir);
  const conf = join(dir, 'dunstrc');
  writeFileSync(conf, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DISPLAY: display,
    DBUS_SESSION_BUS_ADDRESS: bus.address,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
  };
  delete env.WAYLAND_DISPLAY;
  const { child, output } = spawnTracked('dunst', ['-conf', conf], env);
  const deadline = Date.now() + 10_000;
  while ((await nameOwner(bus, NAME)) === undefined) {
    if (exited(child)) throw new Error(`dunst exited: ${output()}`);
    if (Date.now() > deadline) throw new Error(`dunst did not take ${NAME} in time: ${output()}`);
    await sleep(25);
  }
  return child.pid ?? -1;
}

async function dunstProperty(bus: TestBus, name: string): Promise<unknown> {
  const [v] = await rawCall(bus, NAME, PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [DUNST, name]);
  return (v as Variant).value;
}

describe(
  'notify against a real notification server (dunst under Xvfb)',
  { skip: missing.length > 0 ? `not installed: ${missing.join(', ')} (apt-get install xvfb dunst)` : false },
  () => {
    let session: TestBus;
    let system: TestBus;
    let dunstPid: number;
    let s: InMemorySession;

    before(async () => {
      session = await startSessionBus();
      system = await startSystemLikeBus();
      const display = await startXvfb();
      dunstPid = await startDunst(session, display);
      s = await connectInMemory({
        settings: {
          SAFETY_LEVEL: 'high',
          SESSION_BUS_ADDRESS: session.address,
          SYSTEM_BUS_ADDRESS: system.address,
        },
      });
    });

    after(async () => {
      await s?.close();
    });

    test('the bus name belongs to the dunst process', async () => {
      const owner = await nameOwner(session, NAME);
      assert.ok(owner);
      const [pid] = await rawCall(
        session,
        'org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus',
        'GetConnectionUnixProcessID',
        's',
        [owner],
      );
      assert.equal(pid, dunstPid);
    });

    test('GetServerInformation through call_method names dunst', async () => {
      const r = await callTool(s.client, 'call_method', {
        bus: 'session',
        service: NAME,
        path: PATH,
        interface: NAME,
        method: 'GetServerInformation',
      });
      assert.equal(r.isError, undefined, JSON.stringify(r.content));
      assert.equal(r.structuredContent?.signature, 'ssss');
      const [name, vendor, version, spec] = r.structuredContent?.values as string[];
      assert.equal(name, 'dunst');
      assert.equal(vendor, 'knopwob');
      assert.match(version ?? '', /^\d+\.\d+/);
      assert.equal(spec, '1.2', 'Desktop Notifications spec version');
    });

    test('notify returns real, increasing ids; dunst shows both, then keeps them in its history', async () => {
      const first = await callTool(s.client, 'notify', {
        title: 'Build done',
        message: 'All green',
        urgency: 'critical',
        app_name: 'dbus-mcp-test',
      });
      assert.equal(first.isError, undefined, JSON.stringify(first.content));
      const id1 = first.structuredContent?.id as number;
      assert.ok(Number.isInteger(id1) && id1 > 0, `id ${id1}`);
      assert.equal(first.structuredContent?.urgency, 'critical');

      const second = await callTool(s.client, 'notify', {
        title: 'Deploy started',
        message: 'Stage two',
        timeout_ms: 0,
        actions: ['Open', { key: 'later', label: 'Later' }],
      });
      assert.equal(second.isError, undefined, JSON.stringify(second.content));
      const id2 = second.structuredContent?.id as number;
      assert.ok(id2 > id1, `second id ${id2} after ${id1}: a new notification, nothing replaced`);

      // Both are on screen (or queued): the second replaced nothing.
      const shown = Number(await dunstProperty(session, 'displayedLength'));
      const waiting = Number(await dunstProperty(session, 'waitingLength'));
      assert.equal(shown + waiting, 2, `displayed ${shown}, waiting ${waiting}`);

      // Closing moves them into dunst's history, where our title and body are recorded.
      await rawCall(session, NAME, PATH, DUNST, 'NotificationCloseAll');
      assert.equal(Number(await dunstProperty(session, 'historyLength')), 2);
      const [history] = (await rawCall(session, NAME, PATH, DUNST, 'NotificationListHistory')) as [
        Record<string, Variant>[],
      ];
      const byId = new Map(history.map((n) => [Number(n.id?.value), n]));
      const n1 = byId.get(id1);
      const n2 = byId.get(id2);
      assert.ok(n1 && n2, `history ids ${[...byId.keys()].join(',')}`);
      assert.equal(n1.summary?.value, 'Build done');
      assert.equal(n1.body?.value, 'All green');
      assert.equal(n1.appname?.value, 'dbus-mcp-test');
      assert.equal(n2.summary?.value, 'Deploy started');
      assert.equal(n2.body?.value, 'Stage two');
      assert.equal(n2.appname?.value, 'dbus-mcp');
      assert.equal(Number(n2.timeout?.value), 0, 'timeout_ms 0: stays until dismissed');
    });
  },
);
