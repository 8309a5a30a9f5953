import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MockService, TestBus } from '../helpers/buses.js';
import {
  addMockMethod,
  addMockProperty,
  nameOwner,
  startFixtureService,
  startMock,
  startSessionBus,
  startSystemLikeBus,
} from '../helpers/buses.js';
import '../helpers/cleanup.js';
import type { InMemorySession } from '../helpers/mcp.js';
import { callTool, connectInMemory, errorName, resultText, toolError } from '../helpers/mcp.js';

const IFACE = 'com.example.Test';
const PATH = '/com/example/Test';

let session: TestBus;
let system: TestBus;
let mock: MockService;
let logind: MockService;

async function connect(level: string, era: '2025' | '2026' = '2025', extra: Record<string, string> = {}) {
  return connectInMemory({
    era,
    settings: {
      SAFETY_LEVEL: level,
      SESSION_BUS_ADDRESS: session.address,
      SYSTEM_BUS_ADDRESS: system.address,
      ...extra,
    },
  });
}

before(async () => {
  [session, system] = await Promise.all([startSessionBus(), startSystemLikeBus()]);
  [mock, logind] = await Promise.all([
    startMock(session, ['com.example.Test', PATH, IFACE]),
    startMock(system, ['--template', 'logind', '--system']),
  ]);
  await addMockMethod(session, mock, {
    interface: IFACE,
    name: 'Echo',
    inSig: 'a{sv}',
    outSig: 'a{sv}',
    code: 'ret = args[0]',
  });
  await addMockMethod(session, mock, {
    interface: IFACE,
    name: 'Add',
    inSig: 'xt',
    outSig: 't',
    code: 'ret = args[0] + args[1]',
  });
  await addMockMethod(session, mock, {
    interface: IFACE,
    name: 'Pair',
    inSig: 'sy',
    outSig: '(sy)ay',
    code: 'ret = ((args[0], args[1]), bytes([args[1]]) + args[0].encode())',
  });
  await addMockMethod(session, mock, {
    interface: IFACE,
    name: 'Fail',
    inSig: '',
    outSig: '',
    code: 'raise dbus.exceptions.DBusException("it broke", name="com.example.Error.Broken")',
  });
  await addMockMethod(session, mock, {
    interface: IFACE,
    name: 'Slow',
    inSig: 'd',
    outSig: '',
    code: 'import time; time.sleep(args[0])',
  });
  await addMockProperty(session, mock, { interface: IFACE, name: 'Count', signature: 'u', value: 7 });
  await addMockProperty(session, mock, {
    interface: IFACE,
    name: 'Big',
    signature: 't',
    value: 18446744073709551615n,
  });
  await addMockProperty(session, mock, {
    interface: IFACE,
    name: 'Tags',
    signature: 'as',
    value: ['a', 'b'],
  });
});

after(async () => {
  await Promise.allSettled([mock?.stop(), logind?.stop()]);
  await Promise.allSettled([session?.stop(), system?.stop()]);
});

describe('generic tools at high level (2025 era)', () => {
  let s: InMemorySession;
  before(async () => {
    s = await connect('high');
  });
  after(() => s.close());

  test('tools/list describes every generic tool with title, annotations and output schema', async () => {
    const { tools } = await s.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of [
      'list_services',
      'introspect',
      'list_objects',
      'get_property',
      'get_all_properties',
      'set_property',
      'call_method',
      'explain_policy',
      'show_help',
    ]) {
      const tool = byName.get(name);
      assert.ok(tool, `${name} is listed`);
      assert.ok(tool.title, `${name} has a title`);
      assert.ok(tool.outputSchema, `${name} has an output schema`);
    }
    assert.equal(byName.get('get_property')?.annotations?.readOnlyHint, true);
    assert.equal(byName.get('call_method')?.annotations?.destructiveHint, true);
    assert.equal(byName.get('set_property')?.annotations?.destructiveHint, true);
  });

  test('list_services names the owner, pid and process of a running service', async () => {
    const r = await callTool(s.client, 'list_services', {});
    assert.equal(r.isError, undefined, resultText(r));
    const services = r.structuredContent?.services as {
      name: string;
      owner?: string;
      pid?: number;
      process?: string;
    }[];
    const entry = services.find((x) => x.name === 'com.example.Test');
    assert.ok(entry, 'the mock is listed');
    assert.equal(entry.owner, await nameOwner(session, 'com.example.Test'));
    assert.equal(entry.pid, mock.pid);
    assert.match(entry.process ?? '', /python/);
    assert.ok(!services.some((x) => x.name.startsWith(':')), 'unique names only on request');
    const withUnique = await callTool(s.client, 'list_services', { include_unique: true });
    assert.ok(
      (withUnique.structuredContent?.services as { name: string }[]).some((x) => x.name.startsWith(':')),
    );
  });

  test('introspect returns interfaces with typed methods, properties and children', async () => {
    const root = await callTool(s.client, 'introspect', { service: 'com.example.Test', path: '/' });
    assert.deepEqual(root.structuredContent?.children, ['com']);
    const r = await callTool(s.client, 'introspect', { service: 'com.example.Test', path: PATH, xml: true });
    const ifaces = r.structuredContent?.interfaces as {
      name: string;
      methods: { name: string; args: { type: string; direction?: string }[] }[];
      properties: { name: string; type: string; access: string }[];
    }[];
    const test = ifaces.find((i) => i.name === IFACE);
    assert.ok(test);
    const add = test.methods.find((m) => m.name === 'Add');
    assert.deepEqual(
      add?.args.map((a) => [a.type, a.direction]),
      [
        ['x', 'in'],
        ['t', 'in'],
        ['t', 'out'],
      ],
    );
    assert.ok(test.properties.some((p) => p.name === 'Count' && p.type === 'u'));
    assert.match(r.structuredContent?.xml as string, /<node/);
  });

  test('introspect bounds a node with very many children and says so', async () => {
    const wide = await startFixtureService(session, 'object-tree.py', [
      'com.example.Wide',
      '1500',
      '--per-group',
      '1500',
    ]);
    try {
      const r = await callTool(s.client, 'introspect', {
        service: 'com.example.Wide',
        path: '/com/example/Tree/g0',
      });
      assert.equal((r.structuredContent?.children as string[]).length, 1000);
      assert.equal(r.structuredContent?.truncated, true);
      assert.match(r.structuredContent?.truncated_reason as string, /1500 children/);
      const small = await callTool(s.client, 'introspect', {
        service: 'com.example.Wide',
        path: '/com/example',
      });
      assert.equal(small.structuredContent?.truncated, false);
    } finally {
      await wide.stop();
    }
  });

  test('list_objects walks the tree when there is no ObjectManager', async () => {
    const r = await callTool(s.client, 'list_objects', { bus: 'system', service: 'org.freedesktop.login1' });
    assert.equal(r.structuredContent?.method, 'walk');
    const paths = (r.structuredContent?.objects as { path: string }[]).map((o) => o.path);
    assert.ok(paths.includes('/org/freedesktop/login1'), paths.join(','));
    const cut = await callTool(s.client, 'list_objects', {
      bus: 'system',
      service: 'org.freedesktop.login1',
      max_objects: 1,
    });
    assert.equal(cut.structuredContent?.truncated, true);
    assert.equal(cut.structuredContent?.count, 1);
  });

  test('get_property and get_all_properties return typed values', async () => {
    const count = await callTool(s.client, 'get_property', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      property: 'Count',
    });
    assert.deepEqual([count.structuredContent?.signature, count.structuredContent?.value], ['u', 7]);
    const all = await callTool(s.client, 'get_all_properties', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
    });
    assert.deepEqual(all.structuredContent?.properties, {
      Big: { signature: 't', value: '18446744073709551615' },
      Count: { signature: 'u', value: 7 },
      Tags: { signature: 'as', value: ['a', 'b'] },
    });
    assert.equal(all.structuredContent?.truncated, false);
  });

  test('reads on the system bus work at high', async () => {
    const r = await callTool(s.client, 'call_method', {
      bus: 'system',
      service: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      interface: 'org.freedesktop.login1.Manager',
      method: 'CanPowerOff',
    });
    assert.equal(r.isError, undefined, resultText(r));
    assert.equal(r.structuredContent?.signature, 's');
  });

  test('writes and unknown mutating calls are refused at high, naming level and hint', async () => {
    const set = await callTool(s.client, 'set_property', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      property: 'Count',
      value: 8,
    });
    assert.equal(set.isError, true);
    assert.equal(errorName(set), 'dbus-mcp.POLICY_DENIED');
    assert.match(resultText(set), /high/);
    const call = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Add',
      args: [1, 2],
    });
    assert.equal(call.isError, true);
    assert.equal(toolError(call).level, 'high');
  });

  test('invalid names are refused before anything is sent, naming the value', async () => {
    const badPath = await callTool(s.client, 'get_property', {
      service: 'com.example.Test',
      path: '/bad//path',
      interface: IFACE,
      property: 'Count',
    });
    assert.equal(errorName(badPath), 'dbus-mcp.INVALID_OBJECT_PATH');
    assert.match(resultText(badPath), /\/bad\/\/path/);
    const badName = await callTool(s.client, 'introspect', { service: 'com..example' });
    assert.equal(errorName(badName), 'dbus-mcp.INVALID_BUS_NAME');
    const badMember = await callTool(s.client, 'get_property', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      property: 'no-dashes',
    });
    assert.equal(errorName(badMember), 'dbus-mcp.INVALID_MEMBER_NAME');
    // the connection is still healthy
    const ok = await callTool(s.client, 'get_property', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      property: 'Count',
    });
    assert.equal(ok.isError, undefined);
  });

  test('show_help and explain_policy describe the level', async () => {
    const help = await callTool(s.client, 'show_help', {});
    assert.equal(help.structuredContent?.level, 'high');
    assert.match(resultText(help), /SAFETY_LEVEL/);
    assert.ok((help.structuredContent?.tools as { name: string }[]).some((t) => t.name === 'call_method'));
    const ex = await callTool(s.client, 'explain_policy', {
      bus: 'system',
      service: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      interface: 'org.freedesktop.login1.Manager',
      member: 'PowerOff',
    });
    assert.equal(ex.structuredContent?.decision, 'deny');
    assert.equal(ex.structuredContent?.kind, 'forbidden');
  });
});

describe('generic tools at low level', () => {
  let s: InMemorySession;
  before(async () => {
    s = await connect('low', '2025', { CALL_TIMEOUT_MS: '3000', MAX_CALL_TIMEOUT_MS: '5000' });
  });
  after(() => s.close());

  test('call_method converts typed arguments and replies, 64-bit included', async () => {
    const r = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Add',
      args: ['9007199254740993', 2],
    });
    assert.equal(r.isError, undefined, resultText(r));
    assert.deepEqual(r.structuredContent, { signature: 't', values: ['9007199254740995'] });
    const echo = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Echo',
      args: [{ n: 1, s: 'x', list: [1, 2], typed: { signature: 'u', value: 5 } }],
    });
    assert.deepEqual(echo.structuredContent?.values, [
      {
        n: { signature: 'i', value: 1 },
        s: { signature: 's', value: 'x' },
        list: { signature: 'ai', value: [1, 2] },
        typed: { signature: 'u', value: 5 },
      },
    ]);
    const pair = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Pair',
      args: ['hi', 33],
    });
    assert.deepEqual(pair.structuredContent?.values, [
      ['hi', 33],
      { base64: Buffer.from('!hi').toString('base64'), text: '!hi' },
    ]);
  });

  test('a caller-given signature overrides introspection, and conversion errors name the argument', async () => {
    const r = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Add',
      args: [-1, -1],
      signature: 'xt',
    });
    assert.equal(errorName(r), 'dbus-mcp.VALUE_CONVERSION');
    assert.match(resultText(r), /args\[1\].*expected t.*-1/);
  });

  test('without interface the method is resolved through introspection', async () => {
    const r = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      method: 'Add',
      args: [2, 3],
    });
    assert.equal(r.isError, undefined, resultText(r));
    assert.deepEqual(r.structuredContent?.values, ['5']);
  });

  test('D-Bus errors come back as isError with the error name and message', async () => {
    const r = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Fail',
    });
    assert.equal(r.isError, true);
    assert.equal(errorName(r), 'com.example.Error.Broken');
    assert.match(resultText(r), /it broke/);
    const unknown = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Nope',
      signature: '',
    });
    assert.equal(errorName(unknown), 'org.freedesktop.DBus.Error.UnknownMethod');
  });

  test('a method that does not answer times out with the per-call timeout; overrides are bounded', async () => {
    const started = Date.now();
    const r = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Slow',
      args: [2],
      timeout_ms: 300,
    });
    assert.equal(errorName(r), 'dbus-mcp.DBUS_TIMEOUT');
    assert.ok(Date.now() - started < 1900, 'the call ended at its own timeout, not the mock');
    const tooLong = await callTool(s.client, 'call_method', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      method: 'Slow',
      args: [0],
      timeout_ms: 60_000,
    });
    assert.equal(tooLong.isError, true);
    assert.match(resultText(tooLong), /MAX_CALL_TIMEOUT_MS/);
  });

  test('set_property writes with the introspected type', async () => {
    const r = await callTool(s.client, 'set_property', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      property: 'Count',
      value: 42,
    });
    assert.equal(r.isError, undefined, resultText(r));
    assert.equal(r.structuredContent?.signature, 'u');
    const back = await callTool(s.client, 'get_property', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      property: 'Count',
    });
    assert.equal(back.structuredContent?.value, 42);
    const wrongType = await callTool(s.client, 'set_property', {
      service: 'com.example.Test',
      path: PATH,
      interface: IFACE,
      property: 'Count',
      value: 'many',
    });
    assert.equal(errorName(wrongType), 'dbus-mcp.VALUE_CONVERSION');
  });

  test('the system bus stays read-only at low', async () => {
    const r = await callTool(s.client, 'call_method', {
      bus: 'system',
      service: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      interface: 'org.freedesktop.login1.Manager',
      method: 'LockSessions',
    });
    assert.equal(errorName(r), 'dbus-mcp.POLICY_DENIED');
  });
});

describe('logind power actions are refused at every level', () => {
  for (const level of ['high', 'medium', 'low']) {
    test(`at ${level}: by name, by unique name, without interface`, async () => {
      const s = await connect(level);
      try {
        const unique = await nameOwner(system, 'org.freedesktop.login1');
        assert.ok(unique);
        for (const method of ['PowerOff', 'Reboot', 'Suspend']) {
          for (const target of [
            { service: 'org.freedesktop.login1', interface: 'org.freedesktop.login1.Manager' },
            { service: unique, interface: 'org.freedesktop.login1.Manager' },
            { service: 'org.freedesktop.login1' },
          ]) {
            const r = await callTool(s.client, 'call_method', {
              bus: 'system',
              path: '/org/freedesktop/login1',
              method,
              args: [false],
              ...target,
            });
            assert.equal(r.isError, true, `${level} ${method} ${JSON.stringify(target)}`);
            assert.equal(errorName(r), 'dbus-mcp.POLICY_DENIED', resultText(r));
            assert.match(resultText(r), /every level|forbidden/i);
          }
        }
      } finally {
        await s.close();
      }
    });
  }
});

describe('2026-07-28 era', () => {
  test('the same tools answer a 2026-era client', async () => {
    const s = await connect('high', '2026');
    try {
      const { tools } = await s.client.listTools();
      assert.ok(tools.some((t) => t.name === 'get_property'));
      const r = await callTool(s.client, 'get_property', {
        service: 'com.example.Test',
        path: PATH,
        interface: IFACE,
        property: 'Tags',
      });
      assert.deepEqual(r.structuredContent?.value, ['a', 'b']);
    } finally {
      await s.close();
    }
  });
});

describe('a bus that dies mid-call', () => {
  test('the pending call fails fast and the next call reconnects', async () => {
    const bus = await startSessionBus();
    const slow = await startMock(bus, ['com.example.Slow', '/slow', 'com.example.Slow']);
    await addMockMethod(bus, slow, {
      interface: 'com.example.Slow',
      name: 'Wait',
      inSig: '',
      outSig: '',
      code: 'import time; time.sleep(20)',
    });
    const s = await connectInMemory({
      settings: { SAFETY_LEVEL: 'low', SESSION_BUS_ADDRESS: bus.address, SYSTEM_BUS_ADDRESS: system.address },
    });
    try {
      const started = Date.now();
      const pending = callTool(s.client, 'call_method', {
        service: 'com.example.Slow',
        path: '/slow',
        interface: 'com.example.Slow',
        method: 'Wait',
      });
      await new Promise((r) => setTimeout(r, 500));
      await bus.restart();
      const r = await pending;
      assert.equal(errorName(r), 'dbus-mcp.DBUS_DISCONNECTED', resultText(r));
      assert.ok(Date.now() - started < 5000, 'failed well before the 10 s call timeout');
      const next = await callTool(s.client, 'list_services', {});
      assert.equal(next.isError, undefined, resultText(next));
    } finally {
      await s.close();
      await slow.stop();
      await bus.stop();
    }
  });
});
