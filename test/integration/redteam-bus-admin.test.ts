import { before, describe, test } from 'node:test';
import { nameOwner } from '../helpers/buses.js';
import type { Mock, Program, World } from '../helpers/redteam.js';
import {
  assertForbiddenAndUnsent,
  attackTests,
  startAdHocMock,
  startProgram,
  startWorld,
} from '../helpers/redteam.js';

/**
 * Red team, class "bus administration", through the real program (low, `allow * * * * *`):
 * standing in for the agents the system trusts (polkit, NetworkManager, BlueZ) — and, at high with
 * no rule, an interactive polkit check judged as a read. The bus driver's own doors (RequestName,
 * eavesdrop match rules, BecomeMonitor) are checked by their effect on the bus (docs/SECURITY-REVIEW.md
 * "bus administration").
 */

const AUTHORITY = '/org/freedesktop/PolicyKit1/Authority';
const SUBJECT = ['unix-session', { 'session-id': { signature: 's', value: '2' } }];

let world: World;
let low: Program;
let high: Program;
const mocks: Record<string, Mock> = {};
const mock = (name: string) => () => mocks[name] as Mock;

before(async () => {
  world = await startWorld();
  const Y = world.system;
  mocks.polkit = await startAdHocMock(
    Y,
    'org.freedesktop.PolicyKit1',
    AUTHORITY,
    'org.freedesktop.PolicyKit1.Authority',
    [
      {
        interface: 'org.freedesktop.PolicyKit1.Authority',
        name: 'RegisterAuthenticationAgent',
        inSig: '(sa{sv})ss',
      },
      {
        interface: 'org.freedesktop.PolicyKit1.Authority',
        name: 'CheckAuthorization',
        inSig: '(sa{sv})sa{ss}us',
        outSig: '(bba{ss})',
        code: 'ret = (True, False, {})',
      },
    ],
  );
  mocks.nm = await startAdHocMock(
    Y,
    'org.freedesktop.NetworkManager',
    '/org/freedesktop/NetworkManager/AgentManager',
    'org.freedesktop.NetworkManager.AgentManager',
    [{ interface: 'org.freedesktop.NetworkManager.AgentManager', name: 'Register', inSig: 's' }],
  );
  mocks.bluez = await startAdHocMock(Y, 'org.bluez', '/org/bluez', 'org.bluez.AgentManager1', [
    { interface: 'org.bluez.AgentManager1', name: 'RegisterAgent', inSig: 'os' },
  ]);
  [low, high] = await Promise.all([
    startProgram(world, { level: 'low' }),
    startProgram(world, { level: 'high', rules: [] }),
  ]);
});

describe('redteam: bus administration through the program (low, allow * * * * *)', () => {
  attackTests(
    () => low,
    [
      {
        name: 'polkit RegisterAuthenticationAgent: become the password prompt of the session',
        mock: mock('polkit'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.PolicyKit1',
          path: AUTHORITY,
          interface: 'org.freedesktop.PolicyKit1.Authority',
          method: 'RegisterAuthenticationAgent',
          args: [SUBJECT, 'C', '/org/example/Agent'],
        },
      },
      {
        name: 'NetworkManager AgentManager.Register: become a secret agent',
        mock: mock('nm'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.NetworkManager',
          path: '/org/freedesktop/NetworkManager/AgentManager',
          interface: 'org.freedesktop.NetworkManager.AgentManager',
          method: 'Register',
          args: ['org.example.agent'],
        },
      },
      {
        name: 'BlueZ AgentManager1.RegisterAgent NoInputNoOutput: become the pairing agent',
        mock: mock('bluez'),
        call: {
          bus: 'system',
          service: 'org.bluez',
          path: '/org/bluez',
          interface: 'org.bluez.AgentManager1',
          method: 'RegisterAgent',
          args: ['/org/example/Agent', 'NoInputNoOutput'],
        },
      },
    ],
  );
});

describe('redteam: bus administration through the program at high with no rule', () => {
  attackTests(
    () => high,
    [
      {
        name: 'polkit CheckAuthorization with AllowUserInteraction pops an admin password dialog — judged a read',
        mock: mock('polkit'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.PolicyKit1',
          path: AUTHORITY,
          interface: 'org.freedesktop.PolicyKit1.Authority',
          method: 'CheckAuthorization',
          args: [
            ['system-bus-name', { name: { signature: 's', value: ':1.5' } }],
            'org.freedesktop.systemd1.manage-units',
            {},
            1,
            '',
          ],
        },
      },
    ],
  );
});

describe('redteam: bus administration through the program — refused today (regression guards)', () => {
  const DRIVER = {
    service: 'org.freedesktop.DBus',
    path: '/org/freedesktop/DBus',
    interface: 'org.freedesktop.DBus',
  };

  test('RequestName org.freedesktop.secrets: refused, and the name stays unowned', async () => {
    const r = await low.call('call_method', {
      ...DRIVER,
      method: 'RequestName',
      args: ['org.freedesktop.secrets', 4],
    });
    const owner = await nameOwner(world.session, 'org.freedesktop.secrets');
    assertForbiddenAndUnsent(
      r,
      owner === undefined ? [] : [`org.freedesktop.secrets owned by ${owner}`],
      'RequestName',
    );
  });

  test('RequestName on the system bus (impersonating polkit): refused, and the owner is unchanged', async () => {
    const before = await nameOwner(world.system, 'org.freedesktop.PolicyKit1');
    const r = await low.call('call_method', {
      ...DRIVER,
      bus: 'system',
      method: 'RequestName',
      args: ['org.freedesktop.PolicyKit1', 2],
    });
    const after = await nameOwner(world.system, 'org.freedesktop.PolicyKit1');
    assertForbiddenAndUnsent(r, after === before ? [] : [`owner changed to ${after}`], 'RequestName');
  });

  for (const rule of [
    "type='method_call',eavesdrop='true'",
    'eavesdrop=true',
    "type='signal', EAVESDROP = 'false'",
  ]) {
    test(`AddMatch ${JSON.stringify(rule)} is refused (with and without interface)`, async () => {
      for (const call of [
        { ...DRIVER, method: 'AddMatch', args: [rule] },
        { service: DRIVER.service, path: DRIVER.path, method: 'AddMatch', args: [rule] },
      ]) {
        assertForbiddenAndUnsent(await low.call('call_method', call), [], `AddMatch ${rule}`);
      }
    });
  }

  test('BecomeMonitor on both interfaces is refused', async () => {
    for (const iface of ['org.freedesktop.DBus.Monitoring', 'org.freedesktop.DBus']) {
      const r = await low.call('call_method', {
        ...DRIVER,
        interface: iface,
        method: 'BecomeMonitor',
        args: [[], 0],
      });
      assertForbiddenAndUnsent(r, [], `${iface}.BecomeMonitor`);
    }
  });
});
