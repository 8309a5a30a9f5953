/**
 * Issue 12 §2, the bus side: the worker's connections never reply to a method call that is not
 * addressed to their own unique name, whatever match rules they hold (an eavesdrop rule delivers
 * other peers' calls to them), answer one addressed to them with the standard error, and feed
 * subscriptions only broadcast signals and signals addressed to the worker. A real dbus-daemon
 * whose policy allows eavesdropping, a slow service, and a third peer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Message, MessageType } from 'dbus-next';
import { pino } from 'pino';
import { DBusCallError } from '../../src/shared/errors.js';
import { BusConnection } from '../../src/worker/dbus/connection.js';
import type { SignalMessage } from '../../src/worker/dbus/types.js';
import {
  addMockMethod,
  nameOwner,
  peerName,
  startMock,
  startSessionBus,
  thirdPeer,
} from '../helpers/buses.js';
import type { TestBus } from '../helpers/buses.js';
import { onCleanup, trackDir } from '../helpers/cleanup.js';
import { callTool, connectInMemory, resultText } from '../helpers/mcp.js';

const SLOW = { destination: 'org.example.Slow', path: '/org/example/Slow', interface: 'org.example.Slow' };
const EAVESDROP_RULES = [
  "type='method_call',eavesdrop='true'",
  "eavesdrop='true'",
  "type='signal',eavesdrop='true'",
  `type='method_call',eavesdrop='true',destination='${SLOW.destination}'`,
];

let bus: TestBus;

function worker(): BusConnection {
  const conn = new BusConnection({
    kind: 'session',
    address: bus.address,
    config: () => ({ CALL_TIMEOUT_MS: 5000, MAX_CONCURRENT_CALLS: 8 }),
    log: pino({ level: 'silent' }),
  });
  onCleanup(() => conn.close());
  return conn;
}

before(async () => {
  bus = await startSessionBus();
  const slow = await startMock(bus, [SLOW.destination, SLOW.path, SLOW.interface]);
  // It answers after a while: any answer from anyone else would arrive first.
  await addMockMethod(bus, slow, {
    interface: SLOW.interface,
    name: 'Work',
    inSig: 'u',
    outSig: 's',
    code: 'time.sleep(0.2); ret = "done %d by the service" % args[0]',
  });
});

describe('method calls addressed to others', () => {
  test("a third peer's calls to a slow service are answered by the service alone, whatever rules the worker holds", async () => {
    const conn = worker();
    for (const rule of EAVESDROP_RULES) await conn.addMatch(rule);
    const third = thirdPeer(bus);
    await peerName(third);
    for (let i = 0; i < 10; i++) {
      const reply = await third.call(new Message({ ...SLOW, member: 'Work', signature: 'u', body: [i] }));
      assert.equal(reply?.type, MessageType.METHOD_RETURN, `call ${i} was answered by someone else`);
      assert.deepEqual(reply?.body, [`done ${i} by the service`]);
      assert.equal(reply?.sender, await nameOwner(bus, SLOW.destination));
    }
    // The worker's connection is fine and still holds its rules.
    assert.equal(
      (await conn.call({ ...SLOW, member: 'Work', signature: 'u', body: [99] })).body[0],
      'done 99 by the service',
    );
  });

  test('a call addressed to the worker gets the standard answers: Ping, else UnknownMethod', async () => {
    const conn = worker();
    const unique = await conn.uniqueName();
    const third = thirdPeer(bus);
    await peerName(third);
    const ping = await third.call(
      new Message({ destination: unique, path: '/', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' }),
    );
    assert.equal(ping?.type, MessageType.METHOD_RETURN);
    await assert.rejects(
      third.call(
        new Message({ destination: unique, path: '/', interface: 'org.example.Anything', member: 'DoIt' }),
      ),
      (e: unknown) => {
        const reply = (e as { reply?: Message }).reply;
        assert.equal(reply?.errorName, 'org.freedesktop.DBus.Error.UnknownMethod');
        return true;
      },
    );
    // Introspect is not answered with an object tree either: the worker serves nothing.
    await assert.rejects(
      conn.call({
        destination: unique,
        path: '/',
        interface: 'org.freedesktop.DBus.Introspectable',
        member: 'Introspect',
      }),
      (e: unknown) => e instanceof DBusCallError && e.dbusName === 'org.freedesktop.DBus.Error.UnknownMethod',
    );
  });
});

describe('signals addressed to others', () => {
  test('subscriptions see broadcasts and signals unicast to the worker, never signals unicast to others', async () => {
    const conn = worker();
    const unique = await conn.uniqueName();
    for (const rule of EAVESDROP_RULES) await conn.addMatch(rule);
    await conn.addMatch("type='signal',interface='org.example.Uni'");
    const got: SignalMessage[] = [];
    conn.onSignal((s) => {
      if (s.interface === 'org.example.Uni') got.push(s);
    });
    const third = thirdPeer(bus);
    const other = thirdPeer(bus);
    const otherName = await peerName(other);
    await peerName(third);
    const emit = (member: string, destination?: string) =>
      third.send(
        new Message({
          type: MessageType.SIGNAL,
          path: '/org/example/Uni',
          interface: 'org.example.Uni',
          member,
          ...(destination ? { destination } : {}),
        }),
      );
    emit('ToSomeoneElse', otherName);
    emit('ToTheWorker', unique);
    emit('ToEveryone');
    // A round trip through the bus after the three: they have all been routed by now.
    await conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', member: 'GetId' });
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got.map((s) => s.member).sort(), ['ToEveryone', 'ToTheWorker']);
  });
});

describe('the policy half', () => {
  test('AddMatch with eavesdrop is refused at low under allow-everything; an ordinary subscription still works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-eavesdrop-'));
    trackDir(dir);
    writeFileSync(join(dir, 'all.rules'), 'allow * * * * *\n');
    const s = await connectInMemory({
      settings: { SESSION_BUS_ADDRESS: bus.address, SAFETY_LEVEL: 'low', POLICY_DIRS: dir },
    });
    onCleanup(() => s.close());
    for (const rule of [
      "type='method_call',eavesdrop='true'",
      'EavesDrop = true',
      "type='signal', eavesdrop='true'",
    ]) {
      const r = await callTool(s.client, 'call_method', {
        service: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        method: 'AddMatch',
        args: [rule],
      });
      assert.equal(r.isError, true, rule);
      assert.match(resultText(r), /POLICY_DENIED.*eavesdrop/s, rule);
    }
    const sub = await callTool(s.client, 'subscribe_signals', { member: 'Changed', arg0: 'eavesdrop' });
    assert.equal(sub.isError, undefined, resultText(sub));
  });
});
