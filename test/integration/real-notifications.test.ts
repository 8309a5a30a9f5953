import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Variant } from 'dbus-next';
import type { TestBus } from '../helpers/buses.js';
import { nameOwner, rawCall, startSessionBus, startSystemLikeBus } from '../helpers/buses.js';
import { startTracked, tempDir } from '../helpers/cleanup.js';
import { onPath, waitUntil } from '../helpers/desktop/procs.js';
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

const missing = ['Xvfb', 'dunst'].filter((c) => !onPath(c));

/**
 * Xvfb on a display it picks itself (-displayfd: it takes the first free number and writes it
 * to stdout once it listens, so parallel runs never race for one), resolved once its socket
 * exists. Xvfb logs to stderr the displays it found taken on the way.
 */
async function startXvfb(): Promise<string> {
  const xvfb = startTracked('Xvfb', 'Xvfb', [
    '-displayfd',
    '1',
    '-nolisten',
    'tcp',
    '-screen',
    '0',
    '640x480x24',
  ]);
  const n = await waitUntil(
    'Xvfb to give its display',
    () => {
      const shown = /^(\d+)\n/.exec(xvfb.stdout())?.[1];
      return shown !== undefined && existsSync(`/tmp/.X11-unix/X${shown}`) ? shown : undefined;
    },
    { ms: 10_000, proc: xvfb },
  );
  return `:${n}`;
}

/** dunst on `display`, talking to `bus`, with an empty config (its built-in defaults). */
async function startDunst(bus: TestBus, display: string): Promise<number> {
  const dir = tempDir('dunst');
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
  const dunst = startTracked('dunst', 'dunst', ['-conf', conf], { env });
  await waitUntil(`dunst to take ${NAME}`, () => nameOwner(bus, NAME), { ms: 10_000, proc: dunst });
  return dunst.pid;
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
