/**
 * Issue 12 §2, hardened: every way an agent might receive messages addressed to others or act as
 * another service, tried against a real dbus-daemon whose policy allows eavesdropping, with a
 * slow service and a third peer. First what the bus itself does with each kind of match rule (a
 * plain `destination=` another peer's name receives nothing; an `eavesdrop` key does, also one
 * hidden behind `\\'`, which the first reading of rules let through), then that the policy refuses
 * every eavesdropping spelling and every bus-administration member, and that nothing changed on
 * the bus (no name taken, no eavesdrop rule held).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Message, MessageType } from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import {
  addMockMethod,
  nameOwner,
  peerName,
  rawCall,
  startMock,
  startSessionBus,
  thirdPeer,
} from '../helpers/buses.js';
import type { TestBus } from '../helpers/buses.js';
import { onCleanup, trackDir } from '../helpers/cleanup.js';
import { callTool, connectInMemory, toolError } from '../helpers/mcp.js';

const SLOW = { destination: 'org.example.Slow', path: '/org/example/Slow', interface: 'org.example.Slow' };
const DRIVER = { service: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus' };

let bus: TestBus;

async function addMatch(b: MessageBus, rule: string): Promise<void> {
  await b.call(
    new Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'AddMatch',
      signature: 's',
      body: [rule],
    }),
  );
}

/** Messages `observer` receives that are addressed to someone else while a third peer works. */
async function overheard(rules: string[]): Promise<Message[]> {
  const observer = thirdPeer(bus);
  // Never answer what it overhears (dbus-next would answer other peers' calls with UnknownMethod).
  (observer as unknown as { addMethodHandler(h: (m: Message) => boolean): void }).addMethodHandler(
    (m: Message) => m.destination !== me,
  );
  const me = await peerName(observer);
  for (const rule of rules) await addMatch(observer, rule);
  const got: Message[] = [];
  observer.on('message', (m: Message) => {
    if (m.destination && m.destination !== me) got.push(m);
  });
  const third = thirdPeer(bus);
  const victim = thirdPeer(bus);
  const victimName = await peerName(victim);
  await peerName(third);
  for (let i = 0; i < 3; i++) {
    await third.call(new Message({ ...SLOW, member: 'Work', signature: 'u', body: [i] }));
  }
  // A call whose first argument is the three characters `\\x` (what arg0 below matches).
  await third.call(new Message({ ...SLOW, member: 'Echo', signature: 's', body: ['\\\\x'] }));
  third.send(
    new Message({
      type: MessageType.SIGNAL,
      path: '/org/example/Uni',
      interface: 'org.example.Uni',
      member: 'Private',
      destination: victimName,
    }),
  );
  // A round trip after the signal: it has been routed by now.
  await third.call(
    new Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', member: 'GetId' }),
  );
  await new Promise((r) => setTimeout(r, 100));
  observer.disconnect();
  return got;
}

let rulesDir: string;

before(async () => {
  bus = await startSessionBus();
  const slow = await startMock(bus, [SLOW.destination, SLOW.path, SLOW.interface]);
  await addMockMethod(bus, slow, {
    interface: SLOW.interface,
    name: 'Work',
    inSig: 'u',
    outSig: 's',
    code: 'ret = "done %d" % args[0]',
  });
  await addMockMethod(bus, slow, {
    interface: SLOW.interface,
    name: 'Echo',
    inSig: 's',
    outSig: 's',
    code: 'ret = args[0]',
  });
  rulesDir = mkdtempSync(join(tmpdir(), 'dbus-mcp-eavesdrop-'));
  trackDir(rulesDir);
  writeFileSync(join(rulesDir, 'all.rules'), 'allow * * * * *\n');
});

describe('what dbus-daemon delivers (eavesdropping allowed by its policy)', () => {
  test('match rules without eavesdrop receive nothing addressed to others, whatever else they name', async () => {
    const slowOwner = (await nameOwner(bus, SLOW.destination)) ?? '';
    const got = await overheard([
      "type='method_call'",
      "type='method_return'",
      "type='error'",
      `destination='${slowOwner}'`,
      `type='method_call',destination='${slowOwner}'`,
      `type='method_call',destination='${SLOW.destination}'`,
      `sender='${slowOwner}'`,
      `type='method_return',sender='${slowOwner}'`,
      "type='signal',interface='org.example.Uni'",
      "path_namespace='/org'",
      "arg0namespace='org'",
      "eavesdrop='false'",
    ]);
    assert.deepEqual(
      got.map((m) => `${m.type} ${m.member ?? ''} → ${m.destination}`),
      [],
    );
  });

  test("an eavesdrop key does receive them: plainly, and hidden behind \\\\' as dbus-daemon reads it", async () => {
    assert.ok((await overheard(["eavesdrop='true'"])).length > 0, 'the bus allows eavesdropping');
    // dbus-daemon: arg0 is `\\x` (a backslash escapes the next character, then a quoted x), then eavesdrop.
    const hidden = await overheard(["arg0=\\\\'x',eavesdrop=true"]);
    assert.ok(
      hidden.some((m) => m.type === MessageType.METHOD_CALL && m.member === 'Echo'),
      "the daemon reads an eavesdrop key after two backslashes and delivers the third peer's call",
    );
  });
});

describe('the policy, at low under allow * * * * *', () => {
  async function client() {
    const s = await connectInMemory({
      settings: { SESSION_BUS_ADDRESS: bus.address, SAFETY_LEVEL: 'low', POLICY_DIRS: rulesDir },
    });
    onCleanup(() => s.close());
    return s;
  }

  test('every spelling of an eavesdrop rule is refused; plain destination rules are not', async () => {
    const s = await client();
    const slowOwner = (await nameOwner(bus, SLOW.destination)) ?? '';
    for (const rule of [
      "eavesdrop='true'",
      'eavesdrop=true',
      " eavesdrop = 'true' ",
      'EAVESDROP=true',
      "type='signal',eavesdrop='false',eavesdrop='true'",
      "type='method_call',\teavesdrop=true",
      "arg0=\\\\'x',eavesdrop=true",
      'arg0=x\\,eavesdrop=true',
      "arg0='a'\\'',eavesdrop=true",
      '=eavesdrop=true',
      `type='method_call',destination='${slowOwner}',eavesdrop=true`,
    ]) {
      const r = await callTool(s.client, 'call_method', {
        ...DRIVER,
        interface: 'org.freedesktop.DBus',
        method: 'AddMatch',
        args: [rule],
      });
      const err = toolError(r);
      assert.equal(err.kind, 'forbidden', `${rule}: ${err.message}`);
      assert.match(err.message, /eavesdrop/, rule);
    }
    const variant = await callTool(s.client, 'call_method', {
      ...DRIVER,
      interface: 'org.freedesktop.DBus',
      method: 'AddMatch',
      args: [{ signature: 's', value: "eavesdrop='true'" }],
    });
    assert.equal(toolError(variant).name, 'dbus-mcp.POLICY_DENIED');
    for (const rule of [`type='method_call',destination='${slowOwner}'`, "type='signal',arg0='eavesdrop'"]) {
      const r = await callTool(s.client, 'call_method', {
        ...DRIVER,
        interface: 'org.freedesktop.DBus',
        method: 'AddMatch',
        args: [rule],
      });
      assert.equal(r.isError, undefined, `${rule}: ${JSON.stringify(r.content)}`);
    }
    const [byConnection] = (await rawCall(
      bus,
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.Debug.Stats',
      'GetAllMatchRules',
    )) as [Record<string, string[]>];
    const held = Object.values(byConnection).flat();
    assert.ok(
      held.some((r) => r.includes(`destination='${slowOwner}'`)),
      held.join('\n'),
    );
    assert.ok(!held.some((r) => /eavesdrop='?true/.test(r)), held.join('\n'));
  });

  test('monitoring, names, the activation environment and the rest of the driver are refused', async () => {
    const s = await client();
    const ownerBefore = await nameOwner(bus, SLOW.destination);
    const calls: [string | undefined, string, unknown[], string?][] = [
      ['org.freedesktop.DBus.Monitoring', 'BecomeMonitor', [[], 0]],
      [undefined, 'BecomeMonitor', [[], 0]],
      ['org.freedesktop.DBus', 'BecomeMonitor', [[], 0], 'asu'],
      ['org.freedesktop.DBus', 'RequestName', [SLOW.destination, 2 | 4]],
      [undefined, 'RequestName', [SLOW.destination, 2]],
      ['org.freedesktop.DBus.Monitoring', 'RequestName', [SLOW.destination, 2], 'su'],
      ['org.freedesktop.DBus', 'RequestName', ['org.example.Fresh', 4]],
      ['org.freedesktop.DBus', 'ReleaseName', [SLOW.destination]],
      ['org.freedesktop.DBus', 'Hello', []],
      ['org.freedesktop.DBus', 'UpdateActivationEnvironment', [{ LD_PRELOAD: '/tmp/x.so' }]],
      ['org.freedesktop.DBus', 'ReloadConfig', []],
      ['org.freedesktop.DBus.Verbose', 'EnableVerbose', [], ''],
      ['org.example.Made.Up', 'Anything', [], ''],
    ];
    for (const [iface, method, args, signature] of calls) {
      const r = await callTool(s.client, 'call_method', {
        ...DRIVER,
        ...(iface ? { interface: iface } : {}),
        method,
        args,
        ...(signature !== undefined ? { signature } : {}),
      });
      const err = toolError(r);
      assert.equal(err.name, 'dbus-mcp.POLICY_DENIED', `${iface}.${method}: ${err.message}`);
      if (iface) assert.equal(err.kind, 'forbidden', `${iface}.${method}: ${err.message}`);
    }
    assert.equal(await nameOwner(bus, SLOW.destination), ownerBefore);
    assert.equal(await nameOwner(bus, 'org.example.Fresh'), undefined);
    const reads = await callTool(s.client, 'call_method', {
      ...DRIVER,
      interface: 'org.freedesktop.DBus',
      method: 'ListNames',
    });
    assert.equal(reads.isError, undefined);
  });
});
