/**
 * Issue 12 §3, no auto-start by a read: every message the product sends carries NO_AUTO_START
 * unless the caller asked for it. A real dbus-daemon with a servicedir can start
 * org.example.Activatable (a dbusmock service); reads through call_method and the read tools must
 * not start it, `auto_start: true` must.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nameOwner, startActivatingSessionBus, stopOwner } from '../helpers/buses.js';
import type { TestBus } from '../helpers/buses.js';
import { onCleanup } from '../helpers/cleanup.js';
import type { InMemorySession } from '../helpers/mcp.js';
import { callTool, connectInMemory, resultText, toolError } from '../helpers/mcp.js';

const NAME = 'org.example.Activatable';
const PATH = '/org/example/Activatable';
const IFACE = 'org.example.Activatable';

let bus: TestBus;
let session: InMemorySession;

before(async () => {
  bus = await startActivatingSessionBus([
    { name: NAME, exec: `/usr/bin/python3 -m dbusmock ${NAME} ${PATH} ${IFACE}` },
  ]);
  onCleanup(() => stopOwner(bus, NAME));
  session = await connectInMemory({ settings: { SESSION_BUS_ADDRESS: bus.address } });
});
after(() => session.close());

const running = async () => (await nameOwner(bus, NAME)) !== undefined;

/** The reads that used to start the service (ARCHITECTURE: nothing the product sends auto-starts). */
const READS: [string, Record<string, unknown>][] = [
  ['Peer.Ping', { interface: 'org.freedesktop.DBus.Peer', method: 'Ping' }],
  ['Introspectable.Introspect', { interface: 'org.freedesktop.DBus.Introspectable', method: 'Introspect' }],
  ['Properties.GetAll', { interface: 'org.freedesktop.DBus.Properties', method: 'GetAll', args: [IFACE] }],
];

describe('a stopped, activatable service', () => {
  test('the bus can start it (the fixture works) and it is not running to begin with', async () => {
    assert.equal(await running(), false);
    const listed = await callTool(session.client, 'list_services', {});
    const entry = (listed.structuredContent?.services as { name: string; running: boolean }[]).find(
      (s) => s.name === NAME,
    );
    assert.deepEqual(entry && { running: entry.running }, { running: false });
  });

  for (const [what, call] of READS) {
    test(`call_method ${what} does not start it, and says it is not running and how to ask`, async () => {
      const r = await callTool(session.client, 'call_method', { service: NAME, path: PATH, ...call });
      assert.equal(r.isError, true, resultText(r));
      const error = toolError(r);
      assert.equal(error.name, 'org.freedesktop.DBus.Error.NameHasNoOwner');
      assert.match(error.message, /is not running/);
      assert.match(error.message, /activatable/);
      assert.match(String(error.hint), /auto_start: true/);
      assert.equal(await running(), false, `${what} started the service`);
    });
  }

  test('the read tools do not start it either', async () => {
    const target = { service: NAME, path: PATH };
    for (const [tool, args] of [
      ['get_property', { ...target, interface: IFACE, property: 'Anything' }],
      ['get_all_properties', { ...target, interface: IFACE }],
      ['introspect', target],
      ['list_objects', target],
      ['set_property', { ...target, interface: IFACE, property: 'Anything', value: 1, signature: 'i' }],
    ] as const) {
      await callTool(session.client, tool, args);
      assert.equal(await running(), false, `${tool} started the service`);
    }
  });

  for (const [what, call] of READS) {
    test(`call_method ${what} with auto_start: true starts it`, async () => {
      await stopOwner(bus, NAME);
      assert.equal(await running(), false);
      const r = await callTool(session.client, 'call_method', {
        service: NAME,
        path: PATH,
        ...call,
        auto_start: true,
      });
      assert.equal(r.isError, undefined, resultText(r));
      assert.equal(await running(), true, `${what} with auto_start did not start the service`);
    });
  }

  test('get_all_properties with auto_start: true starts it too', async () => {
    await stopOwner(bus, NAME);
    const r = await callTool(session.client, 'get_all_properties', {
      service: NAME,
      path: PATH,
      interface: IFACE,
      auto_start: true,
    });
    assert.equal(r.isError, undefined, resultText(r));
    assert.equal(await running(), true);
  });
});

describe('a name nobody owns and nothing can start', () => {
  test('says so, without suggesting auto_start', async () => {
    const r = await callTool(session.client, 'call_method', {
      service: 'org.example.Nobody',
      path: '/',
      interface: 'org.freedesktop.DBus.Peer',
      method: 'Ping',
    });
    assert.equal(r.isError, true);
    const error = toolError(r);
    assert.equal(error.name, 'org.freedesktop.DBus.Error.NameHasNoOwner');
    assert.match(error.message, /not activatable/);
    assert.doesNotMatch(String(error.hint), /auto_start/);
  });
});
