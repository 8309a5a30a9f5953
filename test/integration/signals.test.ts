import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { Gate } from '../../src/worker/gate/gate.js';
import { PolicyEngine } from '../../src/worker/policy/engine.js';
import { SignalHub } from '../../src/worker/signals/hub.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import {
  addMockMethod,
  emitMockSignal,
  matchRuleCount,
  mockCall,
  rawCall,
  startMock,
  startSessionBus,
} from '../helpers/buses.js';
import { trackDir } from '../helpers/cleanup.js';
import type { InMemorySession } from '../helpers/mcp.js';
import { callTool, connectInMemory, errorName } from '../helpers/mcp.js';

const EMITTER = 'org.example.Emitter';
const IFACE = 'org.example.Emitter';
const ROOT = '/org/example/Emitter';

/** Unique names of this process's connections to `bus` (the worker's and the test helper's). */
async function ourConnections(bus: TestBus): Promise<string[]> {
  const [names] = (await rawCall(
    bus,
    'org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    'org.freedesktop.DBus',
    'ListNames',
  )) as [string[]];
  const ours: string[] = [];
  for (const n of names.filter((x) => x.startsWith(':'))) {
    try {
      const [pid] = await rawCall(
        bus,
        'org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus',
        'GetConnectionUnixProcessID',
        's',
        [n],
      );
      if (pid === process.pid) ours.push(n);
    } catch {
      // left meanwhile
    }
  }
  return ours;
}

/** Match rules all of this process's connections hold on `bus`. */
async function ourMatchRules(bus: TestBus): Promise<number> {
  let total = 0;
  for (const n of await ourConnections(bus)) total += await matchRuleCount(bus, n);
  return total;
}

const emit = (bus: TestBus, mock: MockService, name: string, args: unknown[], path = ROOT, signature = 's') =>
  emitMockSignal(bus, mock, { path, interface: IFACE, name, signature, args });

describe('signals', () => {
  let bus: TestBus;
  let mock: MockService;
  let s: InMemorySession;

  before(async () => {
    bus = await startSessionBus();
    mock = await startMock(bus, ['--session', EMITTER, ROOT, IFACE]);
    for (const path of [`${ROOT}/child`, '/org/example/Other']) {
      await mockCall(bus, mock, 'AddObject', 'ssa{sv}a(ssss)', [path, IFACE, {}, []]);
    }
    s = await connectInMemory({
      settings: { SESSION_BUS_ADDRESS: bus.address, SIGNAL_BUFFER_SIZE: '5', MAX_SUBSCRIPTIONS: '8' },
    });
  });
  after(async () => {
    await s?.close();
  });

  const subscribe = async (args: Record<string, unknown>) => {
    const r = await callTool(s.client, 'subscribe_signals', args);
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    return r.structuredContent?.subscription_id as string;
  };
  const read = async (id: string, args: Record<string, unknown> = {}) => {
    const r = await callTool(s.client, 'read_signals', { subscription_id: id, ...args });
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    return r.structuredContent as {
      signals: { seq: number; member: string; path: string; args: unknown[] }[];
      dropped: number;
      remaining: number;
    };
  };
  const unsubscribe = (id: string) => callTool(s.client, 'unsubscribe_signals', { subscription_id: id });

  test('subscribe, read (with typed args) and unsubscribe', async () => {
    const id = await subscribe({ sender: EMITTER, interface: IFACE, member: 'Ping' });
    await emit(bus, mock, 'Ping', ['one']);
    await emit(bus, mock, 'Other', ['ignored']);
    await emitMockSignal(bus, mock, {
      path: ROOT,
      interface: IFACE,
      name: 'Ping',
      signature: 'st',
      args: ['two', 5n],
    });
    const got = await read(id, { wait_ms: 2000 });
    if (got.signals.length < 2) got.signals.push(...(await read(id, { wait_ms: 2000 })).signals);
    assert.deepEqual(
      got.signals.map((e) => [e.seq, e.member, e.args]),
      [
        [1, 'Ping', ['one']],
        [2, 'Ping', ['two', '5']],
      ],
    );
    const done = await unsubscribe(id);
    assert.equal(done.structuredContent?.unsubscribed, true);
    const again = await callTool(s.client, 'read_signals', { subscription_id: id });
    assert.equal(again.isError, true);
    assert.equal(errorName(again), 'dbus-mcp.SUBSCRIPTION_UNKNOWN');
  });

  test('path_namespace matches the path and below, nothing beside it', async () => {
    const id = await subscribe({ path_namespace: ROOT, member: 'Tick' });
    await emit(bus, mock, 'Tick', ['other'], '/org/example/Other');
    await emit(bus, mock, 'Tick', ['child'], `${ROOT}/child`);
    await emit(bus, mock, 'Tick', ['root'], ROOT);
    await new Promise((r) => setTimeout(r, 300));
    const got = await read(id);
    assert.deepEqual(
      got.signals.map((e) => e.args[0]),
      ['child', 'root'],
    );
    await unsubscribe(id);
  });

  test('arg0 narrows to signals whose first string argument matches', async () => {
    const id = await subscribe({ sender: EMITTER, member: 'Changed', arg0: "it's" });
    await emit(bus, mock, 'Changed', ['other']);
    await emit(bus, mock, 'Changed', ["it's"]);
    const got = await read(id, { wait_ms: 2000 });
    await new Promise((r) => setTimeout(r, 200));
    const rest = await read(id);
    assert.deepEqual(
      [...got.signals, ...rest.signals].map((e) => e.args[0]),
      ["it's"],
    );
    await unsubscribe(id);
  });

  test('a full buffer drops the oldest signals and counts them', async () => {
    const id = await subscribe({ sender: EMITTER, member: 'Flood' });
    for (let i = 1; i <= 8; i++) await emit(bus, mock, 'Flood', [`n${i}`]);
    await new Promise((r) => setTimeout(r, 300));
    const got = await read(id, { max: 3 });
    assert.equal(got.dropped, 3);
    assert.deepEqual(
      got.signals.map((e) => e.seq),
      [4, 5, 6],
    );
    assert.equal(got.remaining, 2);
    const rest = await read(id);
    assert.equal(rest.dropped, 0);
    assert.deepEqual(
      rest.signals.map((e) => e.args[0]),
      ['n7', 'n8'],
    );
    await unsubscribe(id);
  });

  test('wait_ms returns early when a signal arrives and times out when none does', async () => {
    const id = await subscribe({ sender: EMITTER, member: 'Late' });
    const started = Date.now();
    const timer = setTimeout(() => void emit(bus, mock, 'Late', ['x']), 300);
    const got = await read(id, { wait_ms: 20_000 });
    clearTimeout(timer);
    assert.equal(got.signals.length, 1);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    const t0 = Date.now();
    const none = await read(id, { wait_ms: 400 });
    assert.equal(none.signals.length, 0);
    assert.ok(Date.now() - t0 >= 350, `returned after ${Date.now() - t0} ms`);
    await unsubscribe(id);
  });

  test('a waiting read reports progress and stops when the request is cancelled', async () => {
    const id = await subscribe({ sender: EMITTER, member: 'Slow' });
    const progress: number[] = [];
    const timer = setTimeout(() => void emit(bus, mock, 'Slow', ['late']), 2300);
    const r = await s.client.callTool(
      { name: 'read_signals', arguments: { subscription_id: id, wait_ms: 10_000 } },
      { onprogress: (p) => void progress.push(p.progress) },
    );
    clearTimeout(timer);
    assert.equal((r.structuredContent as { signals: unknown[] }).signals.length, 1);
    assert.ok(progress.length >= 2, `progress: ${JSON.stringify(progress)}`);
    const abort = new AbortController();
    const t0 = Date.now();
    setTimeout(() => abort.abort(), 300);
    await assert.rejects(
      s.client.callTool(
        { name: 'read_signals', arguments: { subscription_id: id, wait_ms: 30_000 } },
        { signal: abort.signal },
      ),
    );
    assert.ok(Date.now() - t0 < 3000);
    await emit(bus, mock, 'Slow', ['after']);
    const after = await read(id, { wait_ms: 2000 });
    assert.deepEqual(
      after.signals.map((e) => e.args[0]),
      ['after'],
    );
    await unsubscribe(id);
  });

  test('invalid filters and the subscription limit are clear errors', async () => {
    const bad = await callTool(s.client, 'subscribe_signals', { path: 'not/a/path' });
    assert.equal(bad.isError, true);
    assert.equal(errorName(bad), 'dbus-mcp.INVALID_OBJECT_PATH');
    const both = await callTool(s.client, 'subscribe_signals', { path: ROOT, path_namespace: ROOT });
    assert.equal(both.isError, true);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await subscribe({ member: `M${i}` }));
    const over = await callTool(s.client, 'subscribe_signals', { member: 'M9' });
    assert.equal(over.isError, true);
    assert.equal(errorName(over), 'dbus-mcp.SUBSCRIPTION_LIMIT');
    for (const id of ids) await unsubscribe(id);
  });

  test('the bus match-rule count stays flat over 300 subscribe/unsubscribe cycles', async () => {
    // Warm up: the worker's connection exists and holds its own NameOwnerChanged rule.
    await unsubscribe(await subscribe({ member: 'Warm' }));
    const baseline = await ourMatchRules(bus);
    const held = await subscribe({ sender: EMITTER, member: 'Held' });
    assert.equal(await ourMatchRules(bus), baseline + 1);
    for (let i = 0; i < 300; i++) {
      const id = await subscribe({
        sender: EMITTER,
        member: i % 2 ? 'Held' : `Cycle${i % 7}`,
        arg0: i % 3 ? undefined : 'x',
      });
      assert.equal((await unsubscribe(id)).isError, undefined);
    }
    assert.equal(await ourMatchRules(bus), baseline + 1);
    await unsubscribe(held);
    assert.equal(await ourMatchRules(bus), baseline);
  });

  test('systemd Subscribe() is called once while subscriptions need its signals', async () => {
    const systemd = await startMock(bus, ['--template', 'systemd'], { name: 'org.freedesktop.systemd1' });
    for (const name of ['Subscribe', 'Unsubscribe']) {
      await addMockMethod(bus, systemd, {
        interface: 'org.freedesktop.systemd1.Manager',
        name,
        inSig: '',
        outSig: '',
        code: '',
      });
    }
    const calls = async (m: string) =>
      ((await mockCall(bus, systemd, 'GetMethodCalls', 's', [m])) as [unknown[]])[0].length;
    const a = await subscribe({ sender: 'org.freedesktop.systemd1', member: 'JobRemoved' });
    const b = await subscribe({ interface: 'org.freedesktop.systemd1.Manager' });
    assert.equal(await calls('Subscribe'), 1);
    await mockCall(bus, systemd, 'AddMockUnit', 's', ['demo.service']);
    await rawCall(
      bus,
      'org.freedesktop.systemd1',
      '/org/freedesktop/systemd1',
      'org.freedesktop.systemd1.Manager',
      'StartUnit',
      'ss',
      ['demo.service', 'replace'],
    );
    const got = await read(a, { wait_ms: 3000 });
    assert.equal(got.signals[0]?.member, 'JobRemoved');
    await unsubscribe(a);
    assert.equal(await calls('Unsubscribe'), 0);
    await unsubscribe(b);
    assert.equal(await calls('Unsubscribe'), 1);
    await systemd.stop();
  });
});

describe('signal hub lifetime', () => {
  test('close() ends every subscription, wakes waiting reads and removes the rules', async () => {
    const bus = await startSessionBus();
    const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-hub-'));
    trackDir(dir);
    writeFileSync(join(dir, 'config'), `SESSION_BUS_ADDRESS="${bus.address}"\n`);
    const { config } = loadConfig({ env: { HOME: dir }, configFile: join(dir, 'config') });
    const log = createLogger({ level: 'silent', name: 'test', env: {} });
    const policy = new PolicyEngine({ config, log, clientId: 'test', rules: [] });
    const gate = new Gate({ config: () => config, log, policy });
    const hub = new SignalHub({ gate, config: () => config, log });
    try {
      const unique = await gate.driver.uniqueName('session');
      const baseline = await matchRuleCount(bus, unique);
      const subs = await Promise.all(
        ['A', 'B', 'C'].map((m) => hub.subscribe({ bus: 'session', member: m })),
      );
      assert.equal(await matchRuleCount(bus, unique), baseline + 3);
      const pending = hub.read(subs[0]!.id, { waitMs: 30_000 });
      const t0 = Date.now();
      await hub.close();
      const result = await pending;
      assert.equal(result.ended, true);
      assert.ok(Date.now() - t0 < 5000);
      assert.equal(await matchRuleCount(bus, unique), baseline);
      assert.deepEqual(hub.list(), []);
      await assert.rejects(hub.subscribe({ bus: 'session', member: 'D' }), /closed/);
    } finally {
      await hub.close();
      await gate.close();
    }
  });

  test('an operator deny rule on a service also refuses subscribing to its signals', async () => {
    const bus = await startSessionBus();
    await startMock(bus, ['--session', EMITTER, ROOT, IFACE]);
    const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-sigrules-'));
    trackDir(dir);
    writeFileSync(join(dir, 'deny.rules'), `deny session ${EMITTER}\n`);
    const s = await connectInMemory({ settings: { SESSION_BUS_ADDRESS: bus.address, POLICY_DIRS: dir } });
    try {
      const denied = await callTool(s.client, 'subscribe_signals', { sender: EMITTER });
      assert.equal(errorName(denied), 'dbus-mcp.POLICY_DENIED');
      const other = await callTool(s.client, 'subscribe_signals', { member: 'Anything' });
      assert.equal(other.isError, undefined, JSON.stringify(other.content));
    } finally {
      await s.close();
    }
  });

  test('a well-known sender is followed across owner changes and a bus restart', async () => {
    const bus = await startSessionBus();
    const name = 'org.example.Restarting';
    const args = ['--session', name, '/org/example/Restarting', 'org.example.Restarting'];
    const ping = (m: MockService, v: string) =>
      emitMockSignal(bus, m, {
        interface: 'org.example.Restarting',
        name: 'Ping',
        signature: 's',
        args: [v],
      });
    const s = await connectInMemory({ settings: { SESSION_BUS_ADDRESS: bus.address } });
    try {
      const sub = await callTool(s.client, 'subscribe_signals', { sender: name, member: 'Ping' });
      const id = sub.structuredContent?.subscription_id as string;
      const next = async () => {
        const r = await callTool(s.client, 'read_signals', { subscription_id: id, wait_ms: 5000 });
        return (r.structuredContent?.signals as { args: unknown[] }[]).map((e) => e.args[0]);
      };
      let m = await startMock(bus, args);
      await ping(m, 'first owner');
      assert.deepEqual(await next(), ['first owner']);
      await m.stop();
      m = await startMock(bus, args);
      await ping(m, 'second owner');
      assert.deepEqual(await next(), ['second owner']);
      await m.stop();
      await bus.restart();
      m = await startMock(bus, args);
      // The worker reconnects on its own (it holds rules) and re-adds them; give it a moment.
      let got: unknown[] = [];
      for (let i = 0; i < 40 && got.length === 0; i++) {
        await ping(m, 'after restart');
        const r = await callTool(s.client, 'read_signals', { subscription_id: id, wait_ms: 250 });
        got = (r.structuredContent?.signals as { args: unknown[] }[]).map((e) => e.args[0]);
      }
      assert.equal(got[0], 'after restart');
    } finally {
      await s.close();
    }
  });

  test('the 2026 protocol era serves the same subscribe/read/unsubscribe', async () => {
    const bus = await startSessionBus();
    const mock = await startMock(bus, ['--session', EMITTER, ROOT, IFACE]);
    const s = await connectInMemory({ era: '2026', settings: { SESSION_BUS_ADDRESS: bus.address } });
    try {
      const sub = await callTool(s.client, 'subscribe_signals', { sender: EMITTER, member: 'Hi' });
      const id = sub.structuredContent?.subscription_id as string;
      assert.ok(id);
      setTimeout(() => void emit(bus, mock, 'Hi', ['2026']), 100);
      const got = await callTool(s.client, 'read_signals', { subscription_id: id, wait_ms: 5000 });
      assert.deepEqual(
        (got.structuredContent?.signals as { args: unknown[] }[]).map((e) => e.args),
        [['2026']],
      );
      assert.equal(
        (await callTool(s.client, 'unsubscribe_signals', { subscription_id: id })).isError,
        undefined,
      );
    } finally {
      await s.close();
    }
  });

  test('closing the runtime ends the worker connection and its subscriptions', async () => {
    const bus = await startSessionBus();
    const s = await connectInMemory({ settings: { SESSION_BUS_ADDRESS: bus.address } });
    const before = (await ourConnections(bus)).length;
    const r = await callTool(s.client, 'subscribe_signals', { member: 'Anything' });
    assert.equal(r.isError, undefined);
    assert.equal((await ourConnections(bus)).length, before + 1);
    await s.close();
    await new Promise((res) => setTimeout(res, 200));
    assert.equal((await ourConnections(bus)).length, before);
  });
});
