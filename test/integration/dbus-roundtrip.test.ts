/**
 * JSON → marshal.ts → our BusConnection (its own message encoder, wire.ts) → a real dbus-daemon →
 * a python-dbusmock echo service → back through dbus-next's reader → JSON.
 * Each signature gets an echo method (`ret = args[0]`) on the mock; a value survives the
 * round trip when the JSON that comes back equals the JSON sent (or its canonical form).
 * The bus and the mock are private to this file and reaped by pid in `after`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus, { Message, type MessageBus } from 'dbus-next';
import { fromDBusArgs, toDBusArgs, type JsonValue } from '../../src/worker/dbus/values/index.js';
import { AppError } from '../../src/shared/errors.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { BusManager } from '../../src/worker/dbus/bus-manager.js';

const NAME = 'com.example.Echo';
const PATH = '/echo';
const CALL_TIMEOUT_MS = 5000;

interface Case {
  sig: string;
  value: unknown;
  /** What comes back, when it is not `value` itself (canonical forms). */
  back?: JsonValue;
}

const MAX_D = 1.7976931348623157e308;

const CASES: Case[] = [
  { sig: 'y', value: 0 },
  { sig: 'y', value: 255 },
  { sig: 'b', value: true },
  { sig: 'b', value: false },
  { sig: 'n', value: -32768 },
  { sig: 'n', value: 32767 },
  { sig: 'q', value: 0 },
  { sig: 'q', value: 65535 },
  { sig: 'i', value: -2147483648 },
  { sig: 'i', value: 2147483647 },
  { sig: 'u', value: 0 },
  { sig: 'u', value: 4294967295 },
  { sig: 'x', value: '-9223372036854775807' },
  { sig: 'x', value: '9223372036854775807' },
  { sig: 'x', value: -42, back: '-42' },
  { sig: 't', value: '0' },
  { sig: 't', value: '18446744073709551615' },
  { sig: 't', value: Number.MAX_SAFE_INTEGER, back: '9007199254740991' },
  { sig: 'd', value: 0 },
  { sig: 'd', value: -1.5 },
  { sig: 'd', value: MAX_D },
  { sig: 'd', value: -MAX_D },
  { sig: 'd', value: 5e-324 },
  { sig: 's', value: '' },
  { sig: 's', value: 'héllo ✓ 😀 "quoted" \\ \n tab\t' },
  { sig: 's', value: 'x'.repeat(100_000) },
  { sig: 'o', value: '/' },
  { sig: 'o', value: '/org/example/Obj_1/child_2' },
  { sig: 'g', value: '' },
  { sig: 'g', value: 'a{sv}(iai)aa{ta(yv)}' },
  { sig: 'ay', value: { base64: '', text: '' } },
  { sig: 'ay', value: [0, 255, 1], back: { base64: 'AP8B' } },
  { sig: 'ay', value: { text: 'héllo\u0000' }, back: { base64: 'aMOpbGxvAA==', text: 'héllo\u0000' } },
  { sig: 'ay', value: { base64: '/w==' } },
  {
    sig: 'aay',
    value: [
      { base64: 'AQ==', text: '\u0001' },
      { base64: '', text: '' },
    ],
  },
  { sig: 'as', value: [] },
  { sig: 'as', value: ['a', '', 'c'] },
  { sig: 'ab', value: [true, false] },
  { sig: 'an', value: [-32768, 32767] },
  { sig: 'aq', value: [0, 65535] },
  { sig: 'ai', value: [-2147483648, 0, 2147483647] },
  { sig: 'au', value: [4294967295] },
  { sig: 'ax', value: ['-9223372036854775807', '9223372036854775807'] },
  { sig: 'at', value: ['0', '18446744073709551615'] },
  { sig: 'ad', value: [MAX_D, -0.5, 5e-324] },
  { sig: 'ao', value: ['/', '/a/b'] },
  { sig: 'ag', value: ['', 'v', 'a{sv}'] },
  { sig: 'aas', value: [[], ['x'], []] },
  { sig: 'a{sv}', value: {} },
  {
    sig: 'a{sv}',
    value: {
      int: { signature: 'i', value: 1 },
      bare: 5,
      big: 5_000_000_000,
      list: ['a', 'b'],
      nested: {
        signature: 'a{sv}',
        value: { x: { signature: 'v', value: { signature: 's', value: 'deep' } } },
      },
      'odd key': { signature: 'x', value: '-9223372036854775807' },
    },
    back: {
      int: { signature: 'i', value: 1 },
      bare: { signature: 'i', value: 5 },
      big: { signature: 'x', value: '5000000000' },
      list: { signature: 'as', value: ['a', 'b'] },
      nested: {
        signature: 'a{sv}',
        value: { x: { signature: 'v', value: { signature: 's', value: 'deep' } } },
      },
      'odd key': { signature: 'x', value: '-9223372036854775807' },
    },
  },
  {
    sig: 'a{ia{sv}}',
    value: {
      '-2147483648': { k: { signature: 's', value: 'v' } },
      '2147483647': {},
      '0': { t: { signature: 't', value: '18446744073709551615' } },
    },
  },
  { sig: 'a{yv}', value: { '0': { signature: 'y', value: 255 }, '255': { signature: 'b', value: false } } },
  { sig: 'a{bs}', value: { true: 'yes', false: 'no' } },
  { sig: 'a{ns}', value: { '-32768': 'min', '32767': 'max' } },
  { sig: 'a{qs}', value: { '65535': 'max' } },
  { sig: 'a{xs}', value: { '-9007199254740991': 'min safe', '9007199254740991': 'max safe' } },
  { sig: 'a{ts}', value: { '0': 'zero', '9007199254740991': 'max safe' } },
  { sig: 'a{ss}', value: { '': 'empty', 'a b': 'c', __proto__x: 'y' } },
  { sig: 'a{os}', value: { '/': 'root', '/a/b': 'ab' } },
  { sig: 'a{gs}', value: { '': 'none', 'a{sv}': 'dict' } },
  { sig: 'a(is)', value: [] },
  {
    sig: 'a(is)',
    value: [
      [1, 'a'],
      [-2, 'b'],
    ],
  },
  {
    sig: '(ybnqiuxtdsog)',
    value: [
      255,
      true,
      -32768,
      65535,
      -2147483648,
      4294967295,
      '-9223372036854775807',
      '18446744073709551615',
      -MAX_D,
      'str',
      '/o',
      'a{sv}',
    ],
  },
  { sig: '(i(s(d)))', value: [1, ['a', [2.5]]] },
  { sig: 'av', value: [] },
  {
    sig: 'av',
    value: [
      { signature: 'as', value: [] },
      { signature: 'a{sv}', value: {} },
      { signature: '(ii)', value: [1, 2] },
      { signature: 'ay', value: { base64: 'AQI=' } },
      { signature: 'aa{sv}', value: [{ a: { signature: 'd', value: 1.5 } }] },
      { signature: 'a(oa{sv})', value: [['/x', {}]] },
    ],
    back: [
      { signature: 'as', value: [] },
      { signature: 'a{sv}', value: {} },
      { signature: '(ii)', value: [1, 2] },
      { signature: 'ay', value: { base64: 'AQI=', text: '\u0001\u0002' } },
      { signature: 'aa{sv}', value: [{ a: { signature: 'd', value: 1.5 } }] },
      { signature: 'a(oa{sv})', value: [['/x', {}]] },
    ],
  },
  {
    sig: 'a(oa{sv})',
    value: [
      [
        '/org/example/A',
        { Name: { signature: 's', value: 'a' }, Id: { signature: 't', value: '18446744073709551615' } },
      ],
      ['/', {}],
    ],
  },
  {
    sig: 'v',
    value: [1, 'a', true, 2.5, { k: [] }],
    back: {
      signature: 'av',
      value: [
        { signature: 'i', value: 1 },
        { signature: 's', value: 'a' },
        { signature: 'b', value: true },
        { signature: 'd', value: 2.5 },
        { signature: 'a{sv}', value: { k: { signature: 'av', value: [] } } },
      ],
    },
  },
  { sig: 'v', value: { signature: 'v', value: { signature: 'x', value: '-9223372036854775807' } } },
  {
    sig: 'v',
    value: { signature: 'ay', value: { base64: '' } },
    back: { signature: 'ay', value: { base64: '', text: '' } },
  },
  { sig: 'aa{sv}', value: [{}, { a: { signature: 'g', value: 'a{sv}' } }] },
  { sig: 'a{sa{sa{sv}}}', value: { a: { b: { c: { signature: 'u', value: 7 } } }, e: {} } },
  { sig: 'a{s(iv)}', value: { k: [3, { signature: 'ao', value: ['/p'] }] } },
  // What dbus-next's own marshaller could not send; our encoder (wire.ts) does.
  { sig: 'x', value: '-9223372036854775808' },
  { sig: 'ad', value: ['NaN', 'Infinity', '-Infinity', -0.5] },
  { sig: 'a{ud}', value: { '0': -2, '4294967295': 1.5 } },
  { sig: 'a{ds}', value: { '1.5': 'a', '-0.25': 'b', NaN: 'n', Infinity: 'i' } },
  { sig: 'a{ts}', value: { '18446744073709551615': 'max', '9007199254740993': 'beyond 2^53' } },
  { sig: 'a{xs}', value: { '-9223372036854775808': 'min' } },
  { sig: 'v', value: { signature: 'd', value: '-Infinity' } },
];

let dir = '';
let daemon: ChildProcess | undefined;
let mock: ChildProcess | undefined;
let bus: MessageBus | undefined;
/** The production path for the values under test; `bus` (plain dbus-next) sets the mock up. */
let buses: BusManager | undefined;
const methods = new Map<string, string>();

async function reap(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no reply in ${CALL_TIMEOUT_MS} ms`)),
      CALL_TIMEOUT_MS,
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function call(fields: {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}): Promise<Message> {
  assert.ok(bus);
  const reply = await withTimeout(bus.call(new Message(fields)), `${fields.interface}.${fields.member}`);
  assert.ok(reply, `no reply to ${fields.member}`);
  return reply;
}

async function startDaemon(): Promise<string> {
  daemon = spawn(
    'dbus-daemon',
    ['--session', '--nofork', '--nopidfile', '--print-address=1', `--address=unix:path=${join(dir, 'bus')}`],
    { stdio: ['ignore', 'pipe', 'ignore'] }, // stderr: only the fd-limit warning of an unprivileged daemon
  );
  const stdout = daemon.stdout;
  assert.ok(stdout);
  const out = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      stdout.off('data', onData);
      stdout.resume(); // keep draining; the daemon prints nothing else
      resolve(text);
    };
    stdout.on('data', onData);
    daemon?.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${String(code)}: ${text}`)));
  });
  const address = out.split('\n')[0]?.trim() ?? '';
  assert.match(address, /^unix:path=/, `dbus-daemon printed no address (${out})`);
  return address;
}

async function waitForName(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = await call({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'NameHasOwner',
      signature: 's',
      body: [name],
    });
    if (reply.body[0] === true) return;
    if (mock?.exitCode !== null)
      throw new Error(`dbusmock exited (${String(mock?.exitCode)}) before owning ${name}`);
    if (Date.now() > deadline) throw new Error(`${name} did not appear on the bus`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function addMethod(name: string, inSig: string, outSig: string, code: string): Promise<void> {
  await call({
    destination: NAME,
    path: PATH,
    interface: 'org.freedesktop.DBus.Mock',
    member: 'AddMethod',
    signature: 'sssss',
    body: ['', name, inSig, outSig, code],
  });
}

async function echo(sig: string, args: unknown[]): Promise<JsonValue[]> {
  const member = methods.get(sig);
  assert.ok(member, `no echo method for ${sig}`);
  assert.ok(buses);
  const reply = await buses
    .get('session')
    .call(
      { destination: NAME, path: PATH, interface: NAME, member, signature: sig, body: toDBusArgs(sig, args) },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
  assert.equal(reply.signature, sig);
  return fromDBusArgs(reply.signature, reply.body);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbus-roundtrip-'));
  const address = await startDaemon();
  mock = spawn('/usr/bin/python3', ['-m', 'dbusmock', NAME, PATH, NAME], {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  bus = dbus.sessionBus({ busAddress: address });
  const { config } = loadConfig({ env: { DBUS_MCP_SESSION_BUS_ADDRESS: address }, configFile: '/dev/null' });
  buses = new BusManager({ config: () => config, log: createLogger({ level: 'warn', name: 'test' }) });
  bus.on('error', (err: unknown) => console.error('bus error', err));
  await waitForName(NAME);
  const sigs = [...new Set([...CASES.map((c) => c.sig), 'sia{sv}'])];
  for (const [i, sig] of sigs.entries()) {
    const member = `Echo${i}`;
    methods.set(sig, member);
    await addMethod(member, sig, sig, sig === 'sia{sv}' ? 'ret = tuple(args)' : 'ret = args[0]');
  }
});

after(async () => {
  await buses?.closeAll();
  bus?.disconnect();
  await reap(mock);
  await reap(daemon);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('JSON survives a round trip through a real bus', () => {
  for (const c of CASES) {
    const label = `${c.sig} ${JSON.stringify(c.value).slice(0, 80)}`;
    test(label, { timeout: 10_000 }, async () => {
      const [back] = await echo(c.sig, [c.value]);
      assert.deepStrictEqual(back, c.back ?? c.value);
    });
  }

  test('several arguments in one message', { timeout: 10_000 }, async () => {
    const args = ['s', -7, { a: { signature: 'as', value: [] } }];
    assert.deepStrictEqual(await echo('sia{sv}', args), args);
  });
});

describe('values built by the service read exactly', () => {
  test('NaN and ±Infinity come back as strings', { timeout: 10_000 }, async () => {
    await addMethod('NonFinite', '', 'ad', "ret = [float('nan'), float('inf'), float('-inf'), -0.5]");
    const reply = await call({ destination: NAME, path: PATH, interface: NAME, member: 'NonFinite' });
    assert.deepStrictEqual(fromDBusArgs(reply.signature, reply.body), [
      ['NaN', 'Infinity', '-Infinity', -0.5],
    ]);
  });

  test('the int64 minimum reads exactly', { timeout: 10_000 }, async () => {
    await addMethod('Int64Min', '', 'xv', 'ret = (dbus.Int64(-2**63), dbus.Int64(-2**63, variant_level=1))');
    const reply = await call({ destination: NAME, path: PATH, interface: NAME, member: 'Int64Min' });
    assert.deepStrictEqual(fromDBusArgs(reply.signature, reply.body), [
      '-9223372036854775808',
      { signature: 'x', value: '-9223372036854775808' },
    ]);
  });

  test('dict keys of types u, d, t and x read as their JSON string form', { timeout: 10_000 }, async () => {
    await addMethod(
      'OddKeys',
      '',
      'a{ud}a{ds}a{ts}a{xs}',
      "ret = ({4294967295: 1.5, 0: -2.0}, {1.5: 'a', -0.25: 'b'}, {18446744073709551615: 'max'}, {-9223372036854775808: 'min'})",
    );
    const reply = await call({ destination: NAME, path: PATH, interface: NAME, member: 'OddKeys' });
    assert.deepStrictEqual(fromDBusArgs(reply.signature, reply.body), [
      { '0': -2, '4294967295': 1.5 },
      { '1.5': 'a', '-0.25': 'b' },
      { '18446744073709551615': 'max' },
      { '-9223372036854775808': 'min' },
    ]);
  });
});

describe('invalid values never reach the bus', () => {
  test('a bad object path inside a variant is refused and the connection stays usable', async () => {
    assert.throws(
      () => toDBusArgs('a{sv}', [{ p: { signature: 'o', value: '/bad//path' } }]),
      (e: unknown) =>
        e instanceof AppError && e.code === 'VALUE_CONVERSION' && e.message.startsWith('args[0].p.value:'),
    );
    assert.deepStrictEqual(await echo('o', ['/still/works']), ['/still/works']);
  });

  test('h is refused with UNSUPPORTED_TYPE', () => {
    assert.throws(
      () => toDBusArgs('h', [0]),
      (e: unknown) => e instanceof AppError && e.code === 'UNSUPPORTED_TYPE',
    );
  });
});
