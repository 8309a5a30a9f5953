import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import dbus from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { startSessionBus } from '../../../helpers/buses.js';
import type { TestBus } from '../../../helpers/buses.js';

/**
 * bus-link.ts sends through dbus-next's private fields (`_serial`, `_methodReturnHandlers`,
 * `_connection.stream`, `name`). package.json allows any 0.11.x of the fork: this test is what
 * tells an upgrade that moved or renamed one of them, before a call silently never settles.
 */
describe('the dbus-next internals bus-link.ts relies on', () => {
  let bus: TestBus;
  let conn: MessageBus;

  before(async () => {
    bus = await startSessionBus();
    conn = dbus.sessionBus({ busAddress: bus.address });
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', () => resolve());
      conn.once('error', reject);
    });
  });
  after(() => conn?.disconnect());

  test('the installed package is the @particle fork, 0.11.x', () => {
    const pkg = createRequire(import.meta.url)('dbus-next/package.json') as { name: string; version: string };
    assert.equal(pkg.name, '@particle/dbus-next');
    assert.match(pkg.version, /^0\.11\./);
  });

  test('a connected bus has a numeric serial, a reply-handler table, a stream and its unique name', () => {
    const internals = conn as unknown as {
      _serial: unknown;
      _methodReturnHandlers: unknown;
      _connection: { stream: unknown } | undefined;
      name: unknown;
    };
    assert.equal(typeof internals._serial, 'number');
    assert.equal(typeof internals._methodReturnHandlers, 'object');
    assert.notEqual(internals._methodReturnHandlers, null);
    const stream = internals._connection?.stream as { write?: unknown; once?: unknown } | undefined;
    assert.equal(typeof stream?.write, 'function');
    assert.equal(typeof stream?.once, 'function');
    assert.match(String(internals.name), /^:\d+\.\d+$/);
  });

  test('a reply is routed to the handler registered under the serial the call was sent with', async () => {
    const internals = conn as unknown as {
      _serial: number;
      _methodReturnHandlers: Record<number, (reply: dbus.Message) => void>;
    };
    const serial = internals._serial;
    const reply = await conn.call(
      new dbus.Message({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'GetId',
      }),
    );
    assert.equal(reply?.replySerial, serial, 'dbus-next takes the next serial from _serial');
    assert.ok(internals._serial > serial, '_serial moves on after a call');
    assert.equal(internals._methodReturnHandlers[serial], undefined, 'a settled handler is removed');
  });
});
