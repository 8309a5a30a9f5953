import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Variant } from 'dbus-next';
import { pino } from 'pino';
import { loadConfig } from '../../src/shared/config.js';
import { AppError, DBusCallError } from '../../src/shared/errors.js';
import type { ErrorCode } from '../../src/shared/errors.js';
import { BusManager } from '../../src/worker/dbus/bus-manager.js';
import { BusConnection } from '../../src/worker/dbus/connection.js';
import type { CallRequest, SignalMessage } from '../../src/worker/dbus/types.js';
import {
  addMockMethod,
  emitMockSignal,
  matchRuleCount,
  nameOwner,
  rawCall,
  startMock,
  startSessionBus,
  startSystemLikeBus,
  watchSender,
} from '../helpers/buses.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import { onCleanup } from '../helpers/cleanup.js';

const log = pino({ level: 'silent' });
const DRIVER = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
};
const TEST = { destination: 'org.example.Test', path: '/org/example/Test', interface: 'org.example.Test' };
const SLOW = { destination: 'org.example.Slow', path: '/org/example/Slow', interface: 'org.example.Slow' };

function connect(bus: TestBus | string, callTimeoutMs = 5000): BusConnection {
  const conn = new BusConnection({
    kind: 'session',
    address: typeof bus === 'string' ? bus : bus.address,
    config: () => ({ CALL_TIMEOUT_MS: callTimeoutMs, MAX_CONCURRENT_CALLS: 8 }),
    log,
  });
  onCleanup(() => conn.close());
  return conn;
}

function isCode(code: ErrorCode, check?: (e: AppError) => boolean) {
  return (e: unknown) => {
    assert.ok(e instanceof AppError, `expected AppError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (check) assert.ok(check(e), e.message);
    return true;
  };
}

async function uniqueConnections(bus: TestBus): Promise<string[]> {
  const [names] = await rawCall(bus, DRIVER.destination, DRIVER.path, DRIVER.interface, 'ListNames');
  return (names as string[]).filter((n) => n.startsWith(':'));
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An ad-hoc dbusmock service with Echo(si)→s and Fail(). */
async function startTestMock(bus: TestBus): Promise<MockService> {
  const mock = await startMock(bus, [TEST.destination, TEST.path, TEST.interface]);
  await addMockMethod(bus, mock, {
    interface: TEST.interface,
    name: 'Echo',
    inSig: 'si',
    outSig: 's',
    code: 'ret = args[0] + ":" + str(args[1])',
  });
  await addMockMethod(bus, mock, {
    interface: TEST.interface,
    name: 'Fail',
    inSig: '',
    outSig: '',
    code: "raise dbus.exceptions.DBusException('it broke', name='org.example.Error.Broken')",
  });
  return mock;
}

/** A separate dbusmock process whose Sleep() never answers in test time (dbusmock is single-threaded). */
async function startSlowMock(bus: TestBus): Promise<MockService> {
  const mock = await startMock(bus, [SLOW.destination, SLOW.path, SLOW.interface]);
  await addMockMethod(bus, mock, {
    interface: SLOW.interface,
    name: 'Sleep',
    inSig: '',
    outSig: '',
    code: 'time.sleep(30)',
  });
  return mock;
}

const echo = (s: string, i: number): CallRequest => ({
  ...TEST,
  member: 'Echo',
  signature: 'si',
  body: [s, i],
});
const sleep: CallRequest = { ...SLOW, member: 'Sleep' };

describe('BusConnection on a private session bus', () => {
  let bus: TestBus;
  before(async () => {
    bus = await startSessionBus();
    await startTestMock(bus);
    await startSlowMock(bus);
  });

  test('connects lazily: nothing reaches the bus before the first call', async () => {
    const before = await uniqueConnections(bus);
    const conn = connect(bus);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await uniqueConnections(bus), before);
    const reply = await conn.call({ ...DRIVER, member: 'GetId' });
    assert.equal(reply.signature, 's');
    const unique = await conn.uniqueName();
    assert.match(unique, /^:\d+\.\d+$/);
    assert.deepEqual((await uniqueConnections(bus)).sort(), [...before, unique].sort());
  });

  test('calls return the reply signature and body', async () => {
    const conn = connect(bus);
    assert.deepEqual(await conn.call(echo('x', 42)), { signature: 's', body: ['x:42'] });
    const names = await conn.call({ ...DRIVER, member: 'ListNames' });
    assert.equal(names.signature, 'as');
    assert.ok((names.body[0] as string[]).includes(TEST.destination));
    // No interface: the bus routes by member alone.
    assert.deepEqual(
      (
        await conn.call({
          ...TEST,
          interface: undefined,
          ...{ member: 'Echo', signature: 'si', body: ['y', 1] },
        })
      ).body,
      ['y:1'],
    );
  });

  test('D-Bus error replies become DBusCallError with the name and message', async () => {
    const conn = connect(bus);
    const dbusError = (name: string, text?: RegExp) => (e: unknown) => {
      assert.ok(e instanceof DBusCallError, String(e));
      assert.equal(e.code, 'DBUS_ERROR');
      assert.equal(e.dbusName, name);
      if (text) assert.match(e.dbusMessage, text);
      return true;
    };
    await assert.rejects(
      conn.call({ ...TEST, member: 'NoSuchMethod' }),
      dbusError('org.freedesktop.DBus.Error.UnknownMethod'),
    );
    await assert.rejects(
      conn.call({ ...TEST, member: 'Fail' }),
      dbusError('org.example.Error.Broken', /it broke/),
    );
    await assert.rejects(
      conn.call({ ...TEST, member: 'Echo', signature: 's', body: ['only one'] }),
      dbusError('org.freedesktop.DBus.Error.InvalidArgs'),
    );
    await assert.rejects(
      conn.call({ destination: 'org.example.Nobody', path: '/', member: 'Ping' }),
      dbusError('org.freedesktop.DBus.Error.ServiceUnknown'),
    );
    // With NO_AUTO_START the bus does not even look for an activatable service.
    await assert.rejects(
      conn.call({ destination: 'org.example.Nobody', path: '/', member: 'Ping', noAutoStart: true }),
      dbusError('org.freedesktop.DBus.Error.NameHasNoOwner'),
    );
    await assert.rejects(
      conn.call({ ...DRIVER, member: 'GetNameOwner', signature: 's', body: ['org.example.Nobody'] }),
      dbusError('org.freedesktop.DBus.Error.NameHasNoOwner'),
    );
    assert.deepEqual((await conn.call(echo('still', 1))).body, ['still:1']);
  });

  test('a method that never answers fails with DBUS_TIMEOUT within its timeout; the connection stays usable', async () => {
    const conn = connect(bus, 400);
    await conn.uniqueName();
    let t0 = Date.now();
    await assert.rejects(
      conn.call(sleep),
      isCode('DBUS_TIMEOUT', (e) => /org\.example\.Slow.*Sleep.*400 ms/.test(e.message)),
    );
    let took = Date.now() - t0;
    assert.ok(took >= 390 && took < 1500, `took ${took} ms`);
    t0 = Date.now();
    await assert.rejects(
      conn.call(sleep, { timeoutMs: 150 }),
      isCode('DBUS_TIMEOUT', (e) => e.message.includes('150 ms')),
    );
    took = Date.now() - t0;
    assert.ok(took >= 140 && took < 1000, `took ${took} ms`);
    assert.deepEqual((await conn.call(echo('after', 2))).body, ['after:2']);
  });

  test('an aborted call rejects with DBUS_CALL_ABORTED at once', async () => {
    const conn = connect(bus, 10_000);
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(conn.call(sleep, { signal: ac.signal }), isCode('DBUS_CALL_ABORTED'));
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(conn.call(echo('a', 1), { signal: ac.signal }), isCode('DBUS_CALL_ABORTED'));
    assert.deepEqual((await conn.call(echo('b', 2))).body, ['b:2']);
  });

  test('invalid names, paths and signatures are refused before anything is sent', async () => {
    const conn = connect(bus);
    const before = await uniqueConnections(bus);
    const cases: [ErrorCode, Partial<CallRequest>][] = [
      ['INVALID_BUS_NAME', { destination: 'org..example' }],
      ['INVALID_BUS_NAME', { destination: '' }],
      ['INVALID_BUS_NAME', { destination: 'noDots' }],
      ['INVALID_OBJECT_PATH', { path: 'relative/path' }],
      ['INVALID_OBJECT_PATH', { path: '/trailing/' }],
      ['INVALID_OBJECT_PATH', { path: '/a//b' }],
      ['INVALID_OBJECT_PATH', { path: '/has-dash' }],
      ['INVALID_INTERFACE_NAME', { interface: 'nodots' }],
      ['INVALID_INTERFACE_NAME', { interface: 'org.1bad' }],
      ['INVALID_MEMBER_NAME', { member: 'Has.Dot' }],
      ['INVALID_MEMBER_NAME', { member: '' }],
      ['INVALID_MEMBER_NAME', { member: '9Lives' }],
      ['INVALID_SIGNATURE', { signature: 'a{vs}', body: [{}] }],
      ['INVALID_SIGNATURE', { signature: '(', body: [[]] }],
      ['INVALID_SIGNATURE', { signature: 'z', body: [1] }],
      ['VALUE_CONVERSION', { signature: 'si', body: ['one'] }],
      ['VALUE_CONVERSION', { signature: '', body: [1] }],
    ];
    for (const [code, bad] of cases) {
      await assert.rejects(conn.call({ ...echo('x', 1), ...bad }), isCode(code), JSON.stringify(bad));
    }
    // Nothing was sent: the lazy connection was never even opened.
    assert.deepEqual(await uniqueConnections(bus), before);
    const unique = await conn.uniqueName();
    for (const [code, bad] of cases) {
      await assert.rejects(conn.call({ ...echo('x', 1), ...bad }), isCode(code));
    }
    assert.deepEqual((await conn.call(echo('ok', 3))).body, ['ok:3']);
    assert.equal(await conn.uniqueName(), unique, 'still the same connection');
  });

  test('a bad value inside a variant (the bus drops the connection) fails fast and the next call reconnects', async () => {
    const conn = connect(bus, 10_000);
    const first = await conn.uniqueName();
    const t0 = Date.now();
    const bad = conn.call({
      ...TEST,
      member: 'Echo',
      signature: 'v',
      body: [new Variant('o', 'not/a path')],
    });
    // dbus-next sends it; dbus-daemon drops the connection; no dbus-next event fires, but the
    // stream ends, and that must fail the call at once instead of leaving it to the timeout.
    await assert.rejects(bad, isCode('DBUS_DISCONNECTED'));
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    assert.deepEqual((await conn.call(echo('again', 4))).body, ['again:4']);
    assert.notEqual(await conn.uniqueName(), first, 'a new connection');
  });

  test('match rules are refcounted: the bus count stays flat over 200 add/remove cycles', async () => {
    const conn = connect(bus);
    const unique = await conn.uniqueName();
    const base = await matchRuleCount(bus, unique);
    assert.equal(base, 1, 'only the NameOwnerChanged match');
    const rule = "type='signal',interface='org.example.Test',member='Ping'";
    const other = "type='signal',interface='org.example.Test',member='Pong'";

    await conn.addMatch(rule);
    await conn.addMatch(rule);
    await conn.addMatch(other);
    assert.equal(await matchRuleCount(bus, unique), base + 2);
    await conn.removeMatch(rule);
    assert.equal(await matchRuleCount(bus, unique), base + 2);
    await conn.removeMatch(rule);
    await conn.removeMatch(other);
    assert.equal(await matchRuleCount(bus, unique), base);

    for (let i = 0; i < 200; i++) {
      await conn.addMatch(rule);
      await conn.removeMatch(rule);
    }
    assert.equal(await matchRuleCount(bus, unique), base);

    // Interleaved without waiting, and many holders at once.
    const ops: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) ops.push(conn.addMatch(rule), conn.removeMatch(rule));
    await Promise.all(ops);
    assert.equal(await matchRuleCount(bus, unique), base);
    await Promise.all(Array.from({ length: 50 }, () => conn.addMatch(rule)));
    assert.equal(await matchRuleCount(bus, unique), base + 1);
    await Promise.all(Array.from({ length: 50 }, () => conn.removeMatch(rule)));
    assert.equal(await matchRuleCount(bus, unique), base);

    // A rule the bus refuses is not held.
    await assert.rejects(conn.addMatch("type='bogus'"), (e: unknown) => e instanceof DBusCallError);
    await conn.removeMatch('never added');
    assert.equal(await matchRuleCount(bus, unique), base);
  });

  test('onSignal delivers matched signals with sender, path, interface, member, signature and body', async () => {
    const conn = connect(bus);
    const mock = await startMock(bus, ['org.example.Signals', '/org/example/Signals', 'org.example.Signals']);
    const got: SignalMessage[] = [];
    const off = conn.onSignal((s) => {
      if (s.interface === 'org.example.Signals') got.push(s);
    });
    await conn.addMatch("type='signal',interface='org.example.Signals'");
    await emitMockSignal(bus, mock, {
      interface: 'org.example.Signals',
      name: 'Ping',
      signature: 'su',
      args: ['hello', 7],
    });
    const s = await eventually('the signal', async () => got[0]);
    assert.deepEqual(s, {
      sender: await nameOwner(bus, 'org.example.Signals'),
      path: '/org/example/Signals',
      interface: 'org.example.Signals',
      member: 'Ping',
      signature: 'su',
      body: ['hello', 7],
    });
    off();
    await emitMockSignal(bus, mock, {
      interface: 'org.example.Signals',
      name: 'Ping',
      signature: 's',
      args: ['late'],
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.length, 1);
    await mock.stop();
  });

  test('namesOwnedBy lists the well-known names of a unique name and follows owner changes', async () => {
    const conn = connect(bus);
    const mock = await startMock(bus, ['org.example.Owned', '/org/example/Owned', 'org.example.Owned']);
    const { body } = await conn.call({
      ...DRIVER,
      member: 'GetNameOwner',
      signature: 's',
      body: ['org.example.Owned'],
    });
    const owner = body[0] as string;
    assert.deepEqual(await conn.namesOwnedBy(owner), ['org.example.Owned']);
    assert.deepEqual(await conn.namesOwnedBy(await conn.uniqueName()), []);
    assert.deepEqual(await conn.namesOwnedBy(':1.99999'), []);
    await assert.rejects(conn.namesOwnedBy('not a name'), isCode('INVALID_BUS_NAME'));
    const t0 = Date.now();
    await mock.stop();
    await eventually('the snapshot to drop', async () =>
      (await conn.namesOwnedBy(owner)).length === 0 ? true : undefined,
    );
    // Dropped by NameOwnerChanged, well before the snapshot's own expiry.
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  });

  test('owners come from one load plus NameOwnerChanged: later decisions send nothing to the bus', async () => {
    const conn = connect(bus);
    const unique = await conn.uniqueName();
    assert.equal(await conn.ownerOf(TEST.destination), await nameOwner(bus, TEST.destination));
    const watch = await watchSender(bus, unique);
    for (let i = 0; i < 50; i++) {
      await conn.ownerOf(TEST.destination);
      await conn.namesOwnedBy(await nameOwner(bus, SLOW.destination).then((o) => o ?? ''));
    }
    const mock = await startMock(bus, ['org.example.Later', '/org/example/Later', 'org.example.Later']);
    const owner = await nameOwner(bus, 'org.example.Later');
    assert.equal(await eventually('the new owner', () => conn.ownerOf('org.example.Later')), owner);
    assert.deepEqual(await conn.namesOwnedBy(owner ?? ''), ['org.example.Later']);
    await mock.stop();
    await eventually('the owner to go', async () =>
      (await conn.ownerOf('org.example.Later')) === undefined ? true : undefined,
    );
    // Every answer above came from the map: the bus got nothing from this connection but this one call.
    await conn.call({ ...DRIVER, member: 'GetId' });
    await eventually('the monitor to see the call', async () =>
      watch.messages.length > 0 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      watch.messages.map((m) => m.member),
      ['GetId'],
    );
  });

  test('many calls under one request signal: no MaxListenersExceededWarning', async () => {
    const conn = connect(bus);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const ac = new AbortController();
      const replies = await Promise.all(
        Array.from({ length: 40 }, () => conn.call({ ...DRIVER, member: 'GetId' }, { signal: ac.signal })),
      );
      assert.equal(replies.length, 40);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('the introspection cache answers from cache and is invalidated when the service restarts', async () => {
    const conn = connect(bus);
    const args = ['org.example.Intro', '/org/example/Intro', 'org.example.Intro'];
    const method = (name: string) => ({
      interface: 'org.example.Intro',
      name,
      inSig: 's',
      outSig: 'u',
      code: 'ret = 1',
    });
    let mock = await startMock(bus, args);
    await addMockMethod(bus, mock, method('First'));
    const methods = async () =>
      (await conn.introspection.get('org.example.Intro', '/org/example/Intro')).interfaces
        .find((i) => i.name === 'org.example.Intro')
        ?.methods.map((m) => m.name)
        .sort();
    assert.deepEqual(await methods(), ['First']);
    const first = await conn.introspection.method(
      'org.example.Intro',
      '/org/example/Intro',
      'org.example.Intro',
      'First',
    );
    assert.deepEqual(
      first?.args.map((a) => [a.type, a.direction]),
      [
        ['s', 'in'],
        ['u', 'out'],
      ],
    );
    await addMockMethod(bus, mock, method('Second'));
    assert.deepEqual(await methods(), ['First'], 'served from the cache');

    await mock.stop();
    mock = await startMock(bus, args);
    await addMockMethod(bus, mock, method('Third'));
    assert.deepEqual(
      await eventually('invalidation', async () => {
        const m = await methods().catch(() => undefined);
        return m?.includes('Third') ? m : undefined;
      }),
      ['Third'],
    );
    await mock.stop();
  });

  test('close() rejects pending calls and refuses later ones', async () => {
    const conn = connect(bus, 10_000);
    await conn.uniqueName();
    const pending = conn.call(sleep);
    await new Promise((r) => setTimeout(r, 50));
    await conn.close();
    await assert.rejects(pending, isCode('DBUS_DISCONNECTED'));
    await assert.rejects(conn.call(echo('x', 1)), isCode('DBUS_DISCONNECTED'));
  });
});

describe('BusConnection when the bus goes away', () => {
  test('the daemon killed mid-call: every pending call fails at once, the next call reconnects', async () => {
    const bus = await startSessionBus();
    await startSlowMock(bus);
    // The address as printed, with the old daemon's guid: reconnecting must not insist on it.
    const conn = connect(bus.printedAddress, 20_000);
    await conn.uniqueName();
    const pending = [
      conn.call(sleep),
      conn.call(sleep),
      conn.call({ ...SLOW, member: 'Sleep', interface: undefined }),
    ];
    const settled = pending.map((p) =>
      p.then(
        () => Date.now(),
        () => Date.now(),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await bus.restart();
    for (const p of pending) {
      await assert.rejects(
        p,
        isCode('DBUS_DISCONNECTED', (e) => e.message.includes('reconnects')),
      );
    }
    const times = await Promise.all(settled);
    for (const t of times) assert.ok(t - t0 < 2000, `failed ${t - t0} ms after the kill`);

    const reply = await conn.call({ ...DRIVER, member: 'GetId' });
    assert.equal(reply.signature, 's');
    const second = await conn.uniqueName();
    assert.match(second, /^:1\./);
    assert.deepEqual(await uniqueConnections(bus).then((u) => u.includes(second)), true);
  });

  test('no bus at the address: DBUS_CONNECT_FAILED naming it, and each call tries again', async () => {
    const path = join(tmpdir(), `dbus-mcp-no-bus-${process.pid}`);
    const conn = connect(`unix:path=${path}`);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        conn.call({ ...DRIVER, member: 'GetId' }),
        isCode('DBUS_CONNECT_FAILED', (e) => e.message.includes(path)),
      );
    }
    const bogus = connect('nosuchtransport:foo=bar');
    await assert.rejects(bogus.uniqueName(), isCode('DBUS_CONNECT_FAILED'));
    await assert.rejects(
      bogus.uniqueName(),
      isCode('DBUS_CONNECT_FAILED', (e) => e.message.includes('nosuchtransport')),
    );
  });

  test('a bus that was down when first called is reached once it is back', async () => {
    const bus = await startSessionBus();
    process.kill(bus.pid, 'SIGKILL');
    const conn = connect(bus);
    await eventually('the daemon to be gone', async () =>
      conn.uniqueName().then(
        () => undefined,
        (e: unknown) => (e instanceof AppError && e.code === 'DBUS_CONNECT_FAILED' ? true : undefined),
      ),
    );
    await bus.restart();
    assert.equal((await conn.call({ ...DRIVER, member: 'GetId' })).signature, 's');
  });

  test('held match rules are re-added after a reconnect, without waiting for a call', async () => {
    const bus = await startSessionBus();
    const conn = connect(bus);
    const got: SignalMessage[] = [];
    conn.onSignal((s) => {
      if (s.member === 'Tick') got.push(s);
    });
    const rule = "type='signal',interface='org.example.Signals',member='Tick'";
    await conn.addMatch(rule);
    assert.equal(await matchRuleCount(bus, await conn.uniqueName()), 2);
    await bus.restart();
    const mock = await startMock(bus, ['org.example.Signals', '/org/example/Signals', 'org.example.Signals']);
    await eventually('a signal after the reconnect', async () => {
      await emitMockSignal(bus, mock, {
        interface: 'org.example.Signals',
        name: 'Tick',
        signature: 'u',
        args: [1],
      });
      await new Promise((r) => setTimeout(r, 100));
      return got[0];
    });
    assert.equal(await matchRuleCount(bus, await conn.uniqueName()), 2);
  });
});

describe('the system-like bus', () => {
  let bus: TestBus;
  before(async () => {
    bus = await startSystemLikeBus();
  });

  test('logind from the dbusmock template answers; the restrictive policy refuses other destinations', async () => {
    const conn = new BusConnection({
      kind: 'system',
      address: bus.address,
      config: () => ({ CALL_TIMEOUT_MS: 5000, MAX_CONCURRENT_CALLS: 8 }),
      log,
    });
    onCleanup(() => conn.close());
    await startMock(bus, ['--template', 'logind']);
    const reply = await conn.call({
      destination: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      interface: 'org.freedesktop.login1.Manager',
      member: 'CanPowerOff',
    });
    assert.deepEqual(reply, { signature: 's', body: ['yes'] });
    // Debug.Stats is reachable on this bus too (the policy allows org.freedesktop.DBus).
    assert.equal(await matchRuleCount(bus, await conn.uniqueName()), 1);
    const denied = await startMock(bus, ['org.example.Denied', '/org/example/Denied', 'org.example.Denied']);
    await assert.rejects(
      conn.call({ destination: denied.name, path: '/org/example/Denied', member: 'Anything' }),
      (e: unknown) => e instanceof DBusCallError && e.dbusName === 'org.freedesktop.DBus.Error.AccessDenied',
    );
    assert.ok(
      (await conn.namesOwnedBy((await nameOwner(bus, 'org.freedesktop.login1')) ?? '')).includes(
        'org.freedesktop.login1',
      ),
    );
  });
});

describe('BusManager', () => {
  test('one lazy connection per bus kind from the configuration; closeAll starts over', async () => {
    const bus = await startSessionBus();
    const file = join(tmpdir(), `dbus-mcp-empty-config-${process.pid}`);
    writeFileSync(file, '');
    onCleanup(() => rmSync(file, { force: true }));
    const { config } = loadConfig({ env: {}, configFile: file });
    const manager = new BusManager({
      config: () => ({ ...config, SESSION_BUS_ADDRESS: bus.address }),
      log,
      env: {},
    });
    onCleanup(() => manager.closeAll());
    const session = manager.get('session');
    assert.equal(manager.get('session'), session);
    assert.equal(session.kind, 'session');
    assert.equal(manager.get('system').kind, 'system');
    assert.equal((await session.call({ ...DRIVER, member: 'GetId' })).signature, 's');
    await manager.closeAll();
    assert.notEqual(manager.get('session'), session);
  });
});
