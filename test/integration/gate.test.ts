/**
 * The gate against a real bus: what the policy judges is what is sent. A policy engine that
 * records each decision's prepared message, a dbusmock service whose GetCalls shows what really
 * arrived, and the gate between them.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import dbus from 'dbus-next';
import { AppError } from '../../src/shared/errors.js';
import { Gate } from '../../src/worker/gate/gate.js';
import { PolicyEngine } from '../../src/worker/policy/engine.js';
import type { Authorization, AuthorizeContext } from '../../src/worker/policy/engine.js';
import type { OperationRequest, PreparedMessage } from '../../src/worker/policy/resolve.js';
import { parseRules } from '../../src/worker/policy/rules.js';
import {
  addMockMethod,
  addMockProperty,
  mockCall,
  rawCall,
  startFixtureService,
  startMock,
  startSessionBus,
  watchSender,
} from '../helpers/buses.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import { onCleanup } from '../helpers/cleanup.js';
import { memoryLogger, testConfig } from '../unit/worker/policy/support.js';

const APP = { destination: 'org.example.Gate', path: '/org/example/Gate', interface: 'org.example.Gate' };

/** Records what each authorize() judged: the prepared message, before anything was sent. */
class RecordingPolicy extends PolicyEngine {
  readonly judged: { allowed: boolean; message?: PreparedMessage }[] = [];

  override async authorize(req: OperationRequest, ctx?: AuthorizeContext): Promise<Authorization> {
    const auth = await super.authorize(req, ctx);
    this.judged.push({ allowed: auth.allowed, message: auth.op?.message });
    return auth;
  }
}

let bus: TestBus;
let app: MockService;

function gateAt(level: 'high' | 'medium' | 'low', rules = '') {
  const config = testConfig({ SAFETY_LEVEL: level, SESSION_BUS_ADDRESS: bus.address });
  const { log } = memoryLogger();
  const policy = new RecordingPolicy({
    config,
    log,
    clientId: 'gate-test',
    rules: parseRules(rules, 'gate.rules'),
  });
  const gate = new Gate({ config: () => config, log, policy });
  onCleanup(() => gate.close());
  return { gate, policy };
}

/** The calls the mock received since the last look (and clears them); GetCalls wraps each argument in a variant. */
async function received(): Promise<{ member: string; args: unknown[] }[]> {
  const [calls] = await mockCall(bus, app, 'GetCalls', '', []);
  await mockCall(bus, app, 'ClearCalls', '', []);
  return (calls as [bigint, string, { value: unknown }[]][]).map(([, member, args]) => ({
    member,
    args: args.map((a) => a.value),
  }));
}

const call = (member: string, extra: Partial<OperationRequest> = {}): OperationRequest => ({
  bus: 'session',
  ...APP,
  member,
  access: 'call',
  ...extra,
});

before(async () => {
  bus = await startSessionBus();
  app = await startMock(bus, [APP.destination, APP.path, APP.interface]);
  await addMockMethod(bus, app, {
    interface: APP.interface,
    name: 'Store',
    inSig: 'xa{sv}ay',
    outSig: 's',
    code: 'ret = "stored"',
  });
  await addMockMethod(bus, app, {
    interface: APP.interface,
    name: 'Take',
    inSig: 'su',
    outSig: '',
    code: '',
  });
  await addMockProperty(bus, app, { interface: APP.interface, name: 'Level', signature: 'u', value: 1 });
  await received();
});

describe('what the policy judges is what is sent', () => {
  test('a call with its introspected signature: 64-bit strings, inferred variants and bytes arrive as judged', async () => {
    const { gate, policy } = gateAt('low');
    const args = ['-9223372036854775808', { n: 7, s: 'x', list: [1, 2.5] }, { text: 'héllo' }];
    const reply = await gate.run(call('Store', { interface: APP.interface, args }), {}, (op) => op.call());
    assert.deepEqual(reply.body, ['stored']);
    const judged = policy.judged.at(-1)?.message;
    assert.equal(judged?.signature, 'xa{sv}ay', 'the signature came from introspection');
    assert.equal(judged?.body[0], -(2n ** 63n));
    const [got] = await received();
    assert.equal(got?.member, 'Store');
    // dbusmock hands the values back as the bus carried them: the very values the policy saw.
    assert.deepEqual(got?.args, judged?.body);
  });

  test('an interface found by introspection is the one judged and the one sent', async () => {
    const { gate, policy } = gateAt('low');
    const op = await gate.run(call('Take', { args: ['a', 3] }), {}, async (o) => {
      await o.call();
      return o;
    });
    assert.equal(op.interface, APP.interface);
    assert.equal(policy.judged.at(-1)?.message?.interface, APP.interface);
    assert.deepEqual(await received(), [{ member: 'Take', args: ['a', 3] }]);
  });

  test('a property write is sent as Properties.Set with the judged interface, property and typed value', async () => {
    const { gate, policy } = gateAt('medium');
    const req: OperationRequest = { bus: 'session', ...APP, member: 'Level', access: 'set', args: [5] };
    const sig = await gate.run(req, {}, async (op) => {
      await op.call();
      return op.valueSignature;
    });
    assert.equal(sig, 'u', 'the type came from introspection');
    const judged = policy.judged.at(-1)?.message;
    assert.equal(judged?.interface, 'org.freedesktop.DBus.Properties');
    assert.equal(judged?.member, 'Set');
    assert.deepEqual(judged?.body.slice(0, 2), [APP.interface, 'Level']);
    // dbusmock serves Properties itself (GetCalls does not list it): read the value back instead.
    const [value] = await rawCall(
      bus,
      APP.destination,
      APP.path,
      'org.freedesktop.DBus.Properties',
      'Get',
      'ss',
      [APP.interface, 'Level'],
    );
    assert.deepEqual(value, judged?.body[2]);
  });

  test('Properties.Get reached through a call is judged as the read of the property it names', async () => {
    const { gate } = gateAt('high');
    const req = call('Get', { interface: 'org.freedesktop.DBus.Properties', args: [APP.interface, 'Level'] });
    const reply = await gate.run(req, {}, (op) => op.call());
    assert.equal((reply.body[0] as { value: number }).value, 5);
  });
});

describe('nothing is sent that was not allowed', () => {
  test('a refusal wins over arguments that do not fit; allowed arguments that do not fit send nothing', async () => {
    const denied = gateAt('low', `deny session ${APP.destination} * ${APP.interface} Take\n`);
    const refused = denied.gate.run(
      call('Take', { interface: APP.interface, args: [1, 'not a u'] }),
      {},
      (op) => op.call(),
    );
    await assert.rejects(refused, (e: unknown) => e instanceof AppError && e.code === 'POLICY_DENIED');

    const { gate, policy } = gateAt('low');
    const bad = gate.run(call('Take', { interface: APP.interface, args: ['a', -1] }), {}, (op) => op.call());
    await assert.rejects(bad, (e: unknown) => e instanceof AppError && e.code === 'VALUE_CONVERSION');
    assert.equal(policy.judged.length, 0, 'authorize rejected with the conversion error');
    const wrongCount = gate.run(call('Take', { interface: APP.interface, args: ['only one'] }), {}, (op) =>
      op.call(),
    );
    await assert.rejects(wrongCount, (e: unknown) => e instanceof AppError && e.code === 'VALUE_CONVERSION');
    assert.deepEqual(await received(), []);
  });

  test('a write of a property introspection calls read-only is refused (INVALID_ARGUMENT)', async () => {
    // object-tree.py declares com.example.Tree.Item.Index access="read".
    const tree = await startFixtureService(bus, 'object-tree.py', ['com.example.ReadOnly', '1']);
    const { gate, policy } = gateAt('medium');
    const req: OperationRequest = {
      bus: 'session',
      destination: tree.name,
      path: '/com/example/Tree/g0/o0',
      interface: 'com.example.Tree.Item',
      member: 'Index',
      access: 'set',
      args: [3],
    };
    await assert.rejects(
      gate.run(req, {}, (op) => op.call()),
      (e: unknown) => e instanceof AppError && e.code === 'INVALID_ARGUMENT' && /read-only/.test(e.message),
    );
    assert.equal(policy.judged.length, 0);
  });
});

describe('owners for the policy', () => {
  test('a decision on a bus with many names: one load for all, no listener warning, nothing per decision', async () => {
    const peer = dbus.sessionBus({ busAddress: bus.address });
    peer.on('error', () => undefined);
    onCleanup(() => peer.disconnect());
    for (let i = 0; i < 15; i++) await peer.requestName(`org.example.Many${i}`, 0);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { gate } = gateAt('high');
      const ac = new AbortController();
      const read = (name: string) =>
        gate.run(
          {
            bus: 'session',
            destination: name,
            path: '/',
            interface: 'org.example.None',
            member: 'X',
            access: 'get',
          },
          { signal: ac.signal },
          (op) => op.call(),
        );
      // The answers do not matter (there is no such property); the decisions do.
      await Promise.allSettled(Array.from({ length: 15 }, (_, i) => read(`org.example.Many${i}`)));
      const unique = await gate.driver.uniqueName('session');
      const watch = await watchSender(bus, unique);
      await read('org.example.Many3').catch(() => undefined);
      for (let i = 0; i < 100 && watch.messages.length === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      // One message, the call itself: resolving the names cost nothing.
      assert.deepEqual(
        watch.messages.map((m) => `${m.interface}.${m.member}`),
        ['org.freedesktop.DBus.Properties.Get'],
      );
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});
