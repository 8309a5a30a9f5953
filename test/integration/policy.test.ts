import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Variant } from 'dbus-next';
import { SAFETY_LEVELS } from '../../src/shared/config.js';
import type { SafetyLevel } from '../../src/shared/config.js';
import { BusConnection } from '../../src/worker/dbus/connection.js';
import type { BusKind } from '../../src/worker/dbus/types.js';
import { PolicyEngine } from '../../src/worker/policy/engine.js';
import type { Authorization } from '../../src/worker/policy/engine.js';
import type { OperationRequest } from '../../src/worker/policy/resolve.js';
import { parseRules } from '../../src/worker/policy/rules.js';
import {
  addMockMethod,
  addMockProperty,
  mockCall,
  nameOwner,
  startMock,
  startSessionBus,
  startSystemLikeBus,
} from '../helpers/buses.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import { onCleanup } from '../helpers/cleanup.js';
import { auditLines, memoryLogger, testConfig } from '../unit/worker/policy/support.js';

/**
 * The adversarial policy suite: PolicyEngine.authorize against real dbusmock services on
 * private buses. Every allowed operation is then really sent, so GetCalls on each mock shows
 * that nothing forbidden ever reached a service.
 */

const LOGIN1 = { destination: 'org.freedesktop.login1', path: '/org/freedesktop/login1' };
const LOGIN1_MANAGER = 'org.freedesktop.login1.Manager';
const SYSTEMD = { destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1' };
const UPOWER = { destination: 'org.freedesktop.UPower', path: '/org/freedesktop/UPower' };
const PK = { destination: 'org.freedesktop.PackageKit', path: '/org/freedesktop/PackageKit' };
const SECRETS = { destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets' };
const APP = { destination: 'com.example.App', path: '/com/example/App' };

let system: TestBus;
let session: TestBus;
let logind: MockService;
let systemd: MockService;
let upower: MockService;
let packagekit: MockService;
let secrets: MockService;
let app: MockService;
const conns: Partial<Record<BusKind, BusConnection>> = {};

function conn(kind: BusKind): BusConnection {
  const existing = conns[kind];
  if (existing) return existing;
  const c = new BusConnection({
    kind,
    address: (kind === 'system' ? system : session).address,
    config: () => ({ CALL_TIMEOUT_MS: 5000, MAX_CONCURRENT_CALLS: 8 }),
    log: memoryLogger().log,
  });
  onCleanup(() => c.close());
  conns[kind] = c;
  return c;
}

function engine(level: SafetyLevel, rules = '', overrides: Record<string, string> = {}) {
  const { log, lines } = memoryLogger();
  const e = new PolicyEngine({
    config: testConfig({ SAFETY_LEVEL: level, ...overrides }),
    log,
    clientId: 'adversary',
    rules: parseRules(rules, 'it.rules'),
  });
  return { e, lines };
}

/** authorize, then — only when allowed — really send the call (as a tool would). */
async function attempt(
  e: PolicyEngine,
  req: OperationRequest,
  signature?: string,
  body?: unknown[],
): Promise<Authorization> {
  const c = conn(req.bus);
  const auth = await e.authorize(req, { conn: c });
  if (auth.allowed) {
    try {
      await c.call({ ...req, interface: auth.interface ?? req.interface, signature, body: body ?? req.args });
      auth.finish();
    } catch (err) {
      auth.finish({ error: String(err) });
    }
  }
  return auth;
}

async function calledMembers(bus: TestBus, mock: MockService, path = mock.path): Promise<string[]> {
  const [calls] = await mockCall(bus, mock, 'GetCalls', '', [], path);
  return (calls as [bigint, string, unknown[]][]).map((c) => c[1]);
}

before(async () => {
  system = await startSystemLikeBus();
  session = await startSessionBus();
  [logind, systemd, upower] = await Promise.all([
    startMock(system, ['--template', 'logind']),
    startMock(system, ['--template', 'systemd']),
    startMock(system, ['--template', 'upower']),
    startMock(system, ['--template', 'polkitd']),
  ]);
  packagekit = await startMock(system, [PK.destination, PK.path, 'org.freedesktop.PackageKit']);
  for (const [name, out, code] of [
    ['UpdatePackages', '', ''],
    ['InstallPackages', '', ''],
    ['GetUpdates', 's', 'ret = "none"'],
  ] as const) {
    await addMockMethod(system, packagekit, {
      interface: 'org.freedesktop.PackageKit.Transaction',
      name,
      inSig: '',
      outSig: out,
      code,
    });
  }
  await addMockProperty(system, packagekit, {
    interface: 'org.freedesktop.PackageKit',
    name: 'Locked',
    signature: 'b',
    value: false,
  });
  await mockCall(system, systemd, 'AddMockUnit', 's', ['nginx.service']);
  await mockCall(system, systemd, 'AddMockUnit', 's', ['sshd.service']);

  secrets = await startMock(session, [SECRETS.destination, SECRETS.path, 'org.freedesktop.Secret.Service']);
  for (const [name, inSig, out, code] of [
    ['GetSecrets', 'aoo', 'a{o(oayays)}', 'ret = {}'],
    ['SearchItems', 'a{ss}', 'aoao', 'ret = ([], [])'],
    ['CreateItem', 'a{sv}(oayays)b', 'oo', 'ret = ("/", "/")'],
  ] as const) {
    await addMockMethod(session, secrets, {
      interface: 'org.freedesktop.Secret.Service',
      name,
      inSig,
      outSig: out,
      code,
    });
  }
  app = await startMock(session, [APP.destination, APP.path, 'com.example.App']);
  await addMockMethod(session, app, {
    interface: 'com.example.App',
    name: 'Frob',
    inSig: '',
    outSig: '',
    code: '',
  });
  await addMockMethod(session, app, {
    interface: 'com.example.Other',
    name: 'Frob',
    inSig: '',
    outSig: '',
    code: '',
  });
  await addMockMethod(session, app, {
    interface: 'com.example.App',
    name: 'UpdatePackages',
    inSig: '',
    outSig: '',
    code: '',
  });
  await addMockMethod(session, app, {
    interface: 'com.example.App',
    name: 'GetThing',
    inSig: '',
    outSig: 's',
    code: 'ret = "thing"',
  });
  await addMockProperty(session, app, {
    interface: 'com.example.App',
    name: 'Colour',
    signature: 's',
    value: 'red',
  });
});

describe('logind power operations (refused at every level, however addressed)', () => {
  for (const level of SAFETY_LEVELS) {
    test(`PowerOff, Reboot, Suspend at ${level}: by name, by unique name, without interface, look-alikes`, async () => {
      const { e, lines } = engine(level, 'allow * * * * *');
      const unique = (await nameOwner(system, LOGIN1.destination)) ?? '';
      assert.ok(unique.startsWith(':'), "unique.startsWith(':')");
      for (const member of [
        'PowerOff',
        'Reboot',
        'Suspend',
        'Hibernate',
        'HybridSleep',
        'SuspendThenHibernate',
      ]) {
        for (const destination of [LOGIN1.destination, unique]) {
          for (const iface of [LOGIN1_MANAGER, undefined]) {
            const req: OperationRequest = {
              bus: 'system',
              destination,
              path: LOGIN1.path,
              interface: iface,
              member,
              access: 'call',
              args: [false],
            };
            const auth = await attempt(e, req, 'b');
            assert.equal(auth.allowed, false, `${member} ${destination} ${iface}`);
            assert.equal(auth.kind, 'forbidden', auth.reason);
            assert.equal(auth.level, level);
            assert.match(auth.hint ?? '', /forbidden at every level/);
          }
        }
      }
      for (const member of ['poweroff', 'POWEROFF', 'PowerOff2', 'Power_Off']) {
        for (const iface of [LOGIN1_MANAGER, undefined]) {
          const auth = await attempt(
            e,
            { bus: 'system', ...LOGIN1, interface: iface, member, access: 'call', args: [false] },
            'b',
          );
          assert.equal(auth.allowed, false, member);
        }
      }
      const refusals = auditLines(lines);
      assert.equal(refusals.length, 32);
      const byUnique = refusals.find((l) => l.destination === unique);
      assert.equal(byUnique?.owner, unique);
      assert.ok(
        (byUnique?.names as string[]).includes(LOGIN1.destination),
        '(byUnique?.names as string[]).includes(LOGIN1.destination)',
      );
      assert.equal(byUnique?.decision, 'refused');
      assert.equal(byUnique?.level, level);
    });
  }

  test('reads stay reads: CanPowerOff and property access really run at high', async () => {
    const { e, lines } = engine('high');
    const can = await attempt(e, {
      bus: 'system',
      ...LOGIN1,
      interface: LOGIN1_MANAGER,
      member: 'CanPowerOff',
      access: 'call',
    });
    assert.equal(can.allowed, true, can.reason);
    const noIface = await attempt(e, { bus: 'system', ...LOGIN1, member: 'CanReboot', access: 'call' });
    assert.equal(noIface.allowed, true, noIface.reason);
    assert.equal(noIface.interface, LOGIN1_MANAGER);
    const get = await attempt(
      e,
      {
        bus: 'system',
        ...LOGIN1,
        interface: 'org.freedesktop.DBus.Properties',
        member: 'GetAll',
        access: 'call',
        args: [LOGIN1_MANAGER],
      },
      's',
    );
    assert.equal(get.allowed, true);
    assert.equal(get.kind, 'read');
    assert.equal(auditLines(lines).length, 0);
  });

  test('ending sessions and lingering, at every level under allow * * * * *: refused; locking reaches logind', async () => {
    await addMockMethod(system, logind, {
      interface: LOGIN1_MANAGER,
      name: 'SetUserLinger',
      inSig: 'ubb',
      outSig: '',
      code: '',
    });
    const unique = (await nameOwner(system, LOGIN1.destination)) ?? '';
    for (const level of SAFETY_LEVELS) {
      const { e } = engine(level, 'allow * * * * *');
      for (const [member, args, sig] of [
        ['TerminateSession', ['2'], 's'],
        ['KillSession', ['2', 'all', 9], 'ssi'],
        ['ReleaseSession', ['2'], 's'],
        ['TerminateUser', [1000], 'u'],
        ['KillUser', [1000, 9], 'ui'],
        ['TerminateSeat', ['seat0'], 's'],
        ['SetUserLinger', [1000, false, false], 'ubb'],
      ] as const) {
        for (const destination of [LOGIN1.destination, unique]) {
          const auth = await attempt(
            e,
            {
              bus: 'system',
              destination,
              path: LOGIN1.path,
              interface: LOGIN1_MANAGER,
              member,
              access: 'call',
              args: [...args],
            },
            sig,
          );
          assert.equal(auth.allowed, false, `${member} at ${level} via ${destination}`);
          assert.equal(auth.kind, 'forbidden', auth.reason);
        }
      }
      const lock = await attempt(
        e,
        {
          bus: 'system',
          ...LOGIN1,
          interface: LOGIN1_MANAGER,
          member: 'LockSessions',
          access: 'call',
          args: [],
        },
        '',
      );
      assert.equal(lock.allowed, true, lock.reason);
    }
    const calls = await calledMembers(system, logind);
    assert.ok(calls.includes('LockSessions'), calls.join(' '));
  });

  test('nothing forbidden ever reached logind', async () => {
    const calls = await calledMembers(system, logind);
    assert.ok(calls.includes('CanPowerOff'), calls.join(' '));
    for (const m of calls.filter((c) => !c.startsWith('Can'))) {
      assert.doesNotMatch(
        m.toLowerCase(),
        /power_?off|reboot|suspend|hibernate|sleep|terminate|kill|release|linger/,
        m,
      );
    }
  });
});

describe('systemd and UPower', () => {
  test('unit changes: system bus read-only without a rule, an allow rule opens one unit, never a protected one', async () => {
    const req = (unit: string): OperationRequest => ({
      bus: 'system',
      ...SYSTEMD,
      interface: 'org.freedesktop.systemd1.Manager',
      member: 'StartUnit',
      access: 'call',
      args: [unit, 'replace'],
    });
    const closed = await attempt(engine('low').e, req('nginx.service'), 'ss');
    assert.equal(closed.allowed, false);
    assert.equal(closed.kind, 'system_change');
    assert.match(closed.hint ?? '', /add an allow rule/);
    const rule =
      'allow system org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager StartUnit';
    const { e, lines } = engine('high', rule);
    const open = await attempt(e, req('nginx.service'), 'ss');
    assert.equal(open.allowed, true, open.reason);
    assert.equal(open.rule, `it.rules:1: ${rule}`);
    const sshd = await attempt(e, req('sshd.service'), 'ss');
    assert.equal(sshd.allowed, false);
    assert.equal(sshd.kind, 'forbidden');
    assert.match(sshd.reason, /protected unit sshd\.service/);
    const transient = await attempt(
      engine('low', 'allow * * * * *').e,
      { ...req('x.service'), member: 'StartTransientUnit', args: ['x.service', 'fail', [], []] },
      'ssa(sv)a(sa(sv))',
    );
    assert.equal(transient.kind, 'forbidden');
    const [allowed, refused] = [
      auditLines(lines).filter((l) => l.decision === 'allowed'),
      auditLines(lines).filter((l) => l.decision === 'refused'),
    ];
    assert.equal(allowed.length, 1);
    assert.equal(allowed[0]?.args, '["nginx.service","replace"]');
    assert.equal(refused.length, 1);
    // The policy asks the manager about each unit first (GetUnit here: the template has no LoadUnit).
    const calls = await calledMembers(system, systemd);
    assert.deepEqual(
      calls.filter((m) => m !== 'AddMockUnit' && m !== 'GetUnit' && m !== 'LoadUnit'),
      ['StartUnit'],
    );
  });

  test('UPower: a deny rule by well-known name holds when addressed by unique name', async () => {
    const unique = await nameOwner(system, UPOWER.destination);
    assert.ok(unique, 'unique');
    const read: OperationRequest = {
      bus: 'system',
      destination: unique,
      path: UPOWER.path,
      interface: 'org.freedesktop.UPower',
      member: 'EnumerateDevices',
      access: 'call',
    };
    assert.equal((await attempt(engine('high').e, read)).allowed, true);
    const denied = await attempt(engine('high', 'deny system org.freedesktop.UPower').e, read);
    assert.equal(denied.allowed, false);
    assert.match(denied.reason, /it\.rules:1/);
    const suspend = await attempt(engine('low', 'allow * *').e, { ...read, member: 'Suspend' });
    assert.equal(suspend.kind, 'forbidden');
    assert.ok(
      !(await calledMembers(system, upower)).includes('Suspend'),
      "!(await calledMembers(system, upower)).includes('Suspend')",
    );
  });
});

describe('NetworkManager and polkit', () => {
  const NM = { destination: 'org.freedesktop.NetworkManager', path: '/org/freedesktop/NetworkManager' };
  test('reads run, changes need a rule, secrets never', async () => {
    const nm = await startMock(system, ['--template', 'networkmanager'], { name: NM.destination });
    const { e } = engine('low');
    const devices = await attempt(e, { bus: 'system', ...NM, member: 'GetDevices', access: 'call' });
    assert.equal(devices.allowed, true, devices.reason);
    assert.equal(devices.interface, 'org.freedesktop.NetworkManager');
    const enable = await attempt(
      e,
      { bus: 'system', ...NM, member: 'Enable', access: 'call', args: [false] },
      'b',
    );
    assert.equal(enable.allowed, false);
    assert.equal(enable.kind, 'system_change');
    const wifi = await attempt(e, {
      bus: 'system',
      ...NM,
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Set',
      access: 'call',
      args: ['org.freedesktop.NetworkManager', 'WirelessEnabled', false],
    });
    assert.equal(wifi.allowed, false);
    assert.equal(wifi.kind, 'system_change');
    const secrets = await attempt(
      engine('low', 'allow system *').e,
      {
        bus: 'system',
        destination: NM.destination,
        path: '/org/freedesktop/NetworkManager/Settings/1',
        interface: 'org.freedesktop.NetworkManager.Settings.Connection',
        member: 'GetSecrets',
        access: 'call',
        args: ['802-11-wireless-security'],
      },
      's',
    );
    assert.equal(secrets.kind, 'forbidden');
    const calls = await calledMembers(system, nm, NM.path);
    assert.ok(calls.includes('GetDevices'), calls.join(' '));
    assert.ok(!calls.includes('Enable') && !calls.includes('GetSecrets'), calls.join(' '));
  });

  test('polkit CheckAuthorization is a read that runs at high', async () => {
    const { e } = engine('high');
    const auth = await e.authorize(
      {
        bus: 'system',
        destination: 'org.freedesktop.PolicyKit1',
        path: '/org/freedesktop/PolicyKit1/Authority',
        interface: 'org.freedesktop.PolicyKit1.Authority',
        member: 'CheckAuthorization',
        access: 'call',
      },
      { conn: conn('system') },
    );
    assert.equal(auth.allowed, true, auth.reason);
    assert.equal(auth.kind, 'read');
    const register = await e.authorize(
      {
        bus: 'system',
        destination: 'org.freedesktop.PolicyKit1',
        path: '/org/freedesktop/PolicyKit1/Authority',
        interface: 'org.freedesktop.PolicyKit1.Authority',
        member: 'RegisterAuthenticationAgent',
        access: 'call',
      },
      { conn: conn('system') },
    );
    assert.equal(register.allowed, false);
  });
});

describe('PackageKit-like and Secret Service mocks', () => {
  test('package management is forbidden at every level; reads pass', async () => {
    for (const level of SAFETY_LEVELS) {
      const { e } = engine(level, 'allow * * * * *');
      for (const member of ['UpdatePackages', 'InstallPackages']) {
        for (const iface of ['org.freedesktop.PackageKit.Transaction', undefined]) {
          const auth = await attempt(e, { bus: 'system', ...PK, interface: iface, member, access: 'call' });
          assert.equal(auth.kind, 'forbidden', `${level} ${member} ${iface}`);
        }
      }
      const set = await attempt(e, {
        bus: 'system',
        ...PK,
        interface: 'org.freedesktop.DBus.Properties',
        member: 'Set',
        access: 'call',
        args: ['org.freedesktop.PackageKit', 'Locked', true],
      });
      assert.equal(set.kind, 'forbidden', set.reason);
      const trap = await attempt(e, {
        bus: 'session',
        ...APP,
        interface: 'com.example.App',
        member: 'UpdatePackages',
        access: 'call',
      });
      assert.equal(trap.kind, 'forbidden');
    }
    const get = await attempt(engine('high').e, {
      bus: 'system',
      ...PK,
      member: 'GetUpdates',
      access: 'call',
    });
    assert.equal(get.allowed, true, get.reason);
    const calls = await calledMembers(system, packagekit);
    assert.ok(calls.includes('GetUpdates'), calls.join(' '));
    assert.ok(
      !calls.includes('UpdatePackages') && !calls.includes('InstallPackages') && !calls.includes('Set'),
      calls.join(' '),
    );
  });

  test('GetSecrets is forbidden by name, by unique name, without interface; other secret calls are audited redacted', async () => {
    const unique = await nameOwner(session, SECRETS.destination);
    assert.ok(unique, 'unique');
    const { e, lines } = engine('low', 'allow * * * * *');
    for (const destination of [SECRETS.destination, unique]) {
      for (const iface of ['org.freedesktop.Secret.Service', undefined]) {
        const auth = await attempt(
          e,
          {
            bus: 'session',
            destination,
            path: SECRETS.path,
            interface: iface,
            member: 'GetSecrets',
            access: 'call',
            args: [['/item/hunter2'], '/'],
          },
          'aoo',
        );
        assert.equal(auth.kind, 'forbidden', `${destination} ${iface}`);
      }
    }
    const search = await attempt(
      engine('high').e,
      {
        bus: 'session',
        ...SECRETS,
        interface: 'org.freedesktop.Secret.Service',
        member: 'SearchItems',
        access: 'call',
        args: [{}],
      },
      'a{ss}',
    );
    assert.equal(search.allowed, true);
    const create = await attempt(
      e,
      {
        bus: 'session',
        ...SECRETS,
        interface: 'org.freedesktop.Secret.Service',
        member: 'CreateItem',
        access: 'call',
        args: [{}, ['/', Buffer.from(''), Buffer.from('hunter2'), 'text/plain'], false],
      },
      'a{sv}(oayays)b',
    );
    assert.equal(create.allowed, true, create.reason);
    const audit = auditLines(lines);
    assert.equal(audit.length, 5);
    for (const l of audit) assert.match(String(l.args), /^\[redacted/);
    assert.doesNotMatch(JSON.stringify(lines), /hunter2/);
    const calls = await calledMembers(session, secrets);
    assert.ok(!calls.includes('GetSecrets'), calls.join(' '));
    assert.ok(calls.includes('CreateItem'), calls.join(' '));
  });
});

describe('resolution on the session bus', () => {
  test('an ambiguous or unknown member without interface is refused', async () => {
    const { e } = engine('low');
    const ambiguous = await attempt(e, { bus: 'session', ...APP, member: 'Frob', access: 'call' });
    assert.equal(ambiguous.allowed, false);
    assert.match(ambiguous.reason, /ambiguous.*com\.example\.App, com\.example\.Other/);
    const unknown = await attempt(e, { bus: 'session', ...APP, member: 'Nope', access: 'call' });
    assert.equal(unknown.allowed, false);
    assert.match(unknown.reason, /no interface of com\.example\.App/);
    const resolved = await attempt(engine('high').e, {
      bus: 'session',
      ...APP,
      member: 'GetThing',
      access: 'call',
    });
    assert.equal(resolved.allowed, true);
    assert.equal(resolved.interface, 'com.example.App');
  });

  test('Properties.Set through a call is a property write: refused at high, runs at medium', async () => {
    const req: OperationRequest = {
      bus: 'session',
      ...APP,
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Set',
      access: 'call',
      args: ['com.example.App', 'Colour', 'blue'],
    };
    const high = await attempt(engine('high').e, req, 'ssv');
    assert.equal(high.allowed, false);
    assert.equal(high.kind, 'property_write');
    assert.match(high.hint ?? '', /SAFETY_LEVEL=medium/);
    const { e, lines } = engine('medium');
    const auth = await e.authorize(req, { conn: conn('session') });
    assert.equal(auth.allowed, true);
    await conn('session').call({
      ...req,
      signature: 'ssv',
      body: ['com.example.App', 'Colour', new Variant('s', 'blue')],
    });
    auth.finish();
    const [line] = auditLines(lines);
    assert.equal(line?.via, 'org.freedesktop.DBus.Properties.Set');
    assert.equal(line?.interface, 'com.example.App');
    assert.equal(line?.member, 'Colour');
    assert.equal(line?.kind, 'property_write');
    assert.equal(line?.owner, await nameOwner(session, APP.destination));
  });

  test('rate limits apply to real calls and say when to retry', async () => {
    const { e } = engine('low', '', { RATE_LIMIT_MUTATING: '2' });
    const req: OperationRequest = {
      bus: 'session',
      ...APP,
      interface: 'com.example.App',
      member: 'Frob',
      access: 'call',
    };
    assert.equal((await attempt(e, req)).allowed, true);
    assert.equal((await attempt(e, req)).allowed, true);
    const limited = await attempt(e, req);
    assert.equal(limited.code, 'RATE_LIMITED');
    assert.ok((limited.retryAfterMs ?? 0) > 0, '(limited.retryAfterMs ?? 0) > 0');
    const read = await attempt(e, { ...req, member: 'GetThing' });
    assert.equal(read.allowed, true);
  });

  test('confirmation: accepted runs, declined and unsupported are refused', async () => {
    const req: OperationRequest = {
      bus: 'session',
      ...APP,
      interface: 'com.example.App',
      member: 'Frob',
      access: 'call',
    };
    const { e } = engine('high', 'ask session com.example.App * com.example.App Frob');
    const c = conn('session');
    assert.equal((await e.authorize(req, { conn: c })).allowed, false);
    assert.equal((await e.authorize(req, { conn: c, confirm: async () => false })).allowed, false);
    const yes = await e.authorize(req, { conn: c, confirm: async () => true });
    assert.equal(yes.allowed, true);
    yes.finish();
  });
});

describe('explain', () => {
  test('resolves unique names on a live bus and falls back to static when the bus is gone', async () => {
    const { e, lines } = engine('high');
    const unique = (await nameOwner(session, APP.destination)) ?? '';
    const live = await e.explain(
      { bus: 'session', destination: unique, path: APP.path, member: 'GetThing', access: 'call' },
      conn('session'),
    );
    assert.equal(live.decision, 'allow');
    assert.equal(live.interface, 'com.example.App');
    assert.deepEqual(live.names, [unique, APP.destination]);
    const dead = new BusConnection({
      kind: 'session',
      address: 'unix:path=/nonexistent/dbus-mcp-test-bus',
      config: () => ({ CALL_TIMEOUT_MS: 2000, MAX_CONCURRENT_CALLS: 8 }),
      log: memoryLogger().log,
    });
    onCleanup(() => dead.close());
    const offline = await e.explain(
      { bus: 'session', ...APP, interface: 'com.example.App', member: 'Frob', access: 'call' },
      dead,
    );
    assert.equal(offline.decision, 'deny');
    assert.match(offline.reason, /explained statically/);
    assert.equal(auditLines(lines).length, 0);
  });
});
