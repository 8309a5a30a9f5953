import { describe } from 'node:test';
import type { Attack, Legitimate } from './redteam-support.js';
import { call, forbiddenEverywhere, stillAllowed } from './redteam-support.js';

/**
 * Red team, class "bus administration": eavesdropping and monitoring, taking a service's name, and
 * the other ways to stand in for a service the system trusts — the authentication agent, the
 * network secret agent, the Bluetooth pairing agent (issue 12 §2, §4; docs/SECURITY-REVIEW.md "bus administration").
 */

const DRIVER = ['session', 'org.freedesktop.DBus', '/org/freedesktop/DBus'] as const;
const POLKIT = ['system', 'org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority'] as const;
const POLKIT_REF =
  'polkit docs/dbus/org.freedesktop.PolicyKit1.Authority.xml (eggdbus-interface-org.freedesktop.PolicyKit1.Authority)';
const SUBJECT = ['unix-session', { 'session-id': { signature: 's', value: '2' } }];

const agents: Attack[] = [
  {
    what: 'polkit RegisterAuthenticationAgent: become the password prompt of a session',
    ref: POLKIT_REF,
    req: call(...POLKIT, 'org.freedesktop.PolicyKit1.Authority', 'RegisterAuthenticationAgent', [
      SUBJECT,
      'C',
      '/org/example/Agent',
    ]),
  },
  {
    what: 'polkit RegisterAuthenticationAgentWithOptions',
    ref: POLKIT_REF,
    req: call(...POLKIT, 'org.freedesktop.PolicyKit1.Authority', 'RegisterAuthenticationAgentWithOptions', [
      SUBJECT,
      'C',
      '/org/example/Agent',
      { fallback: { signature: 'b', value: true } },
    ]),
  },
  {
    what: 'polkit AuthenticationAgentResponse2: answer an authentication for the human',
    ref: POLKIT_REF,
    req: call(...POLKIT, 'org.freedesktop.PolicyKit1.Authority', 'AuthenticationAgentResponse2', [
      1000,
      'cookie',
      ['unix-user', { uid: { signature: 'u', value: 0 } }],
    ]),
  },
  {
    what: 'polkit CheckAuthorization with AllowUserInteraction (flags=1) pops an admin password dialog for a subject the caller names — judged a read at high',
    ref: `${POLKIT_REF}: CheckAuthorization(subject, action_id, details, u flags, cancellation_id); flags 0x1 AllowUserInteraction`,
    req: call(...POLKIT, 'org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization', [
      ['system-bus-name', { name: { signature: 's', value: ':1.5' } }],
      'org.freedesktop.systemd1.manage-units',
      {},
      1,
      '',
    ]),
  },
  {
    what: 'NetworkManager AgentManager.Register: become a secret agent (NM sends it the secrets it saves)',
    ref: 'NetworkManager introspection/org.freedesktop.NetworkManager.AgentManager.xml: Register(s identifier)',
    req: call(
      'system',
      'org.freedesktop.NetworkManager',
      '/org/freedesktop/NetworkManager/AgentManager',
      'org.freedesktop.NetworkManager.AgentManager',
      'Register',
      ['org.example.agent'],
    ),
  },
  {
    what: 'NetworkManager AgentManager.RegisterWithCapabilities',
    ref: 'NetworkManager org.freedesktop.NetworkManager.AgentManager.RegisterWithCapabilities(s identifier, u capabilities)',
    req: call(
      'system',
      'org.freedesktop.NetworkManager',
      '/org/freedesktop/NetworkManager/AgentManager',
      'org.freedesktop.NetworkManager.AgentManager',
      'RegisterWithCapabilities',
      ['org.example.agent', 1],
    ),
  },
  {
    what: 'BlueZ AgentManager1.RegisterAgent(NoInputNoOutput) + RequestDefaultAgent: become the pairing agent',
    ref: 'bluez doc/org.bluez.AgentManager.rst: RegisterAgent(o agent, s capability), RequestDefaultAgent(o agent)',
    req: call('system', 'org.bluez', '/org/bluez', 'org.bluez.AgentManager1', 'RegisterAgent', [
      '/org/example/Agent',
      'NoInputNoOutput',
    ]),
  },
  {
    what: 'BlueZ RequestDefaultAgent',
    ref: 'bluez doc/org.bluez.AgentManager.rst',
    req: call('system', 'org.bluez', '/org/bluez', 'org.bluez.AgentManager1', 'RequestDefaultAgent', [
      '/org/example/Agent',
    ]),
  },
];

const refused: Attack[] = [
  ...[
    'eavesdrop=true',
    "type='signal',EAVESDROP='true'",
    "type='signal', eavesdrop = 'false' ",
    "type='method_call',\teavesdrop='true'",
  ].map((rule): Attack => ({
    what: `AddMatch ${JSON.stringify(rule)} (any value, case, spacing)`,
    ref: 'D-Bus specification, match rules: eavesdrop',
    req: call(...DRIVER, 'org.freedesktop.DBus', 'AddMatch', [rule]),
  })),
  {
    what: 'AddMatch with the rule wrapped in a variant (cannot be judged: refused)',
    ref: 'src/worker/policy/floor.ts eavesdropReason',
    req: call(...DRIVER, 'org.freedesktop.DBus', 'AddMatch', [{ signature: 's', value: 'eavesdrop=true' }]),
  },
  ...(
    [
      ['org.freedesktop.DBus.Monitoring', 'BecomeMonitor', [[], 0]],
      ['org.freedesktop.DBus', 'BecomeMonitor', [[], 0]],
      ['org.freedesktop.DBus', 'RequestName', ['org.freedesktop.secrets', 4]],
      ['org.freedesktop.DBus', 'ReleaseName', ['org.example.Name']],
      ['org.freedesktop.DBus', 'Hello', []],
      ['org.freedesktop.DBus', 'UpdateActivationEnvironment', [{ LD_PRELOAD: '/tmp/x.so' }]],
    ] as const
  ).map(([iface, member, args]): Attack => ({
    what: `bus driver ${member}`,
    ref: 'D-Bus specification, message bus messages',
    req: call(...DRIVER, iface, member, [...args]),
  })),
  {
    what: 'RequestName on the system bus (impersonating a system service)',
    ref: 'D-Bus specification',
    req: call(
      'system',
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'RequestName',
      ['org.freedesktop.PolicyKit1', 0],
    ),
  },
];

const legitimate: Legitimate[] = [
  {
    what: 'a signal subscription whose arg0 only mentions the word',
    req: call(...DRIVER, 'org.freedesktop.DBus', 'AddMatch', ["type='signal',arg0='eavesdrop=true'"]),
    level: 'low',
    kind: 'call',
  },
  {
    what: 'a non-interactive polkit check is a read',
    req: call(...POLKIT, 'org.freedesktop.PolicyKit1.Authority', 'CheckAuthorization', [
      ['system-bus-name', { name: { signature: 's', value: ':1.5' } }],
      'org.freedesktop.login1.power-off',
      {},
      0,
      '',
    ]),
    level: 'high',
    kind: 'read',
  },
  {
    what: 'listing names',
    req: call(...DRIVER, 'org.freedesktop.DBus', 'ListNames'),
    level: 'high',
    kind: 'read',
  },
];

describe('redteam: bus administration — bypasses found by the red team (refused now; todo while a class is open)', () => {
  describe('standing in for a trusted agent', () => forbiddenEverywhere(agents));
});

describe('redteam: bus administration — refused today (regression guards)', () =>
  forbiddenEverywhere(refused));

describe('redteam: bus administration — what a fix must not break', () => stillAllowed(legitimate));
