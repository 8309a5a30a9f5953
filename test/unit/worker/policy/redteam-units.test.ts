import { describe } from 'node:test';
import type { OperationRequest } from '../../../../src/worker/policy/resolve.js';
import type { Attack, Legitimate } from './redteam-support.js';
import { call, forbiddenEverywhere, stillAllowed, write } from './redteam-support.js';

/**
 * Red team, class "protected units": changing dbus, logind, journald, polkit, ssh, display managers,
 * NetworkManager, networkd/resolved, user@, dbus-mcp's own units, and power/rescue/isolate by any
 * door — aliases, escaped paths, templates, unit types, unit files, shapes of arguments (issue 12 §1;
 * docs/SECURITY-REVIEW.md "units"). Both managers: the system one (system bus) and the user one (session bus).
 */

const SD = [
  'org.freedesktop.systemd1',
  '/org/freedesktop/systemd1',
  'org.freedesktop.systemd1.Manager',
] as const;
const SD_REF = 'org.freedesktop.systemd1(5)';
const ALIAS_REF = 'symlinks in /lib/systemd/system on Debian 12 (systemd 252)';

function manager(bus: OperationRequest['bus'], member: string, args: unknown[]): OperationRequest {
  return call(bus, ...SD, member, args);
}
function unitObject(
  bus: OperationRequest['bus'],
  escaped: string,
  member: string,
  args: unknown[] = ['replace'],
): OperationRequest {
  return call(
    bus,
    'org.freedesktop.systemd1',
    `/org/freedesktop/systemd1/unit/${escaped}`,
    'org.freedesktop.systemd1.Unit',
    member,
    args,
  );
}

const byAlias: Attack[] = [
  ...(
    [
      ['StartUnit', 'runlevel0.target', 'poweroff.target: powers off (issue 12 example)'],
      ['StartUnit', 'runlevel6.target', 'reboot.target: reboots (issue 12 example)'],
      ['StartUnit', 'runlevel1.target', 'rescue.target: drops to rescue mode (issue 12 example)'],
      ['StopUnit', 'dbus-org.freedesktop.login1.service', 'systemd-logind.service (issue 12 example)'],
      ['StopUnit', 'dbus-org.freedesktop.network1.service', 'systemd-networkd.service (enabled networkd)'],
      ['StopUnit', 'dbus-org.freedesktop.resolve1.service', 'systemd-resolved.service (enabled resolved)'],
      ['StopUnit', 'dbus-org.freedesktop.nm-dispatcher.service', 'NetworkManager-dispatcher.service'],
    ] as const
  ).map(([member, unit, what]): Attack => ({
    what: `${member} ${unit} — an alias of ${what}`,
    ref: `${SD_REF}; ${ALIAS_REF}`,
    req: manager('system', member, [unit, 'replace']),
  })),
  {
    what: 'Unit.Start on the escaped object path of runlevel6.target (reboot)',
    ref: SD_REF,
    req: unitObject('system', 'runlevel6_2etarget', 'Start'),
  },
  {
    what: 'Unit.Stop on the escaped object path of dbus-org.freedesktop.login1.service (logind)',
    ref: SD_REF,
    req: unitObject('system', 'dbus_2dorg_2efreedesktop_2elogin1_2eservice', 'Stop'),
  },
  {
    what: 'SetDefaultTarget runlevel1.target: boots into rescue mode from now on',
    ref: SD_REF,
    req: manager('system', 'SetDefaultTarget', ['runlevel1.target', true]),
  },
  {
    what: 'AddDependencyUnitFiles runlevel0.target → default.target Wants: powers off at every boot',
    ref: SD_REF,
    req: manager('system', 'AddDependencyUnitFiles', [
      ['runlevel0.target'],
      'default.target',
      'Wants',
      false,
      true,
    ]),
  },
];

const byEffect: Attack[] = [
  ...(
    [
      ['StartUnit', 'rescue.service', 'rescue mode (issue 12 example)'],
      ['StartUnit', 'emergency.service', 'emergency mode (issue 12 example)'],
      ['StopUnit', 'graphical-session.target', 'stops the desktop session (a target)'],
      ['StopUnit', 'session-2.scope', 'kills a login session (a scope)'],
      ['StopUnit', 'user-1000.slice', 'kills everything of a user (a slice)'],
      ['KillUnit', 'app.slice', 'signals every app (issue 12 example)'],
      ['StopUnit', 'systemd-user-sessions.service', 'creates /run/nologin: nobody but root can log in'],
      ['StopUnit', 'getty@tty1.service', 'kills the console login of tty1'],
    ] as const
  ).map(([member, unit, what]): Attack => ({
    what: `${member} ${unit}: ${what}`,
    ref: `${SD_REF}; systemd-user-sessions.service(8); units in /lib/systemd/system (Debian 12)`,
    req: manager('system', member, member === 'KillUnit' ? [unit, 'all', 9] : [unit, 'replace']),
  })),
  ...(
    [
      ['StartUnit', 'systemd-exit.service', 'exits the user manager like Manager.Exit (issue 12 example)'],
      ['StopUnit', 'org.gnome.Shell@wayland.service', 'stops GNOME Shell: the GNOME session ends'],
      ['StopUnit', 'plasma-ksmserver.service', 'stops the Plasma session manager: the session ends'],
      ['StopUnit', 'plasma-plasmashell.service', 'stops the Plasma desktop shell'],
      ['StopUnit', 'graphical-session.target', 'stops the graphical session (user manager)'],
      ['StopUnit', 'dbus.socket', 'stops the user bus (protected: regression guard below)'],
    ] as const
  )
    .filter(([, unit]) => unit !== 'dbus.socket')
    .map(([member, unit, what]): Attack => ({
      what: `user manager ${member} ${unit}: ${what}`,
      ref: `${SD_REF}; user units in /usr/lib/systemd/user (Debian 12 GNOME 43, Plasma 5.27)`,
      req: manager('session', member, [unit, 'replace']),
    })),
  {
    what: 'Unit.Stop on the escaped path of org.gnome.Shell@wayland.service (user manager)',
    ref: SD_REF,
    req: unitObject('session', 'org_2egnome_2eShell_40wayland_2eservice', 'Stop'),
  },
];

const byMember: Attack[] = [
  {
    what: 'EnqueueMarkedJobs restarts every unit marked for restart (issue 12 example)',
    ref: SD_REF,
    req: manager('system', 'EnqueueMarkedJobs', []),
  },
  {
    what: 'LinkUnitFiles links a unit file from any path into the search path (issue 12 example)',
    ref: SD_REF,
    req: manager('system', 'LinkUnitFiles', [['/home/user/evil.service'], false, true]),
  },
  {
    what: 'EnableUnitFiles with a path whose file name is a protected unit (issue 12 example)',
    ref: SD_REF,
    req: manager('system', 'EnableUnitFiles', [['/home/user/dbus.service'], false, true]),
  },
  {
    what: 'EnableUnitFiles with an arbitrary unit file path',
    ref: SD_REF,
    req: manager('session', 'EnableUnitFiles', [['/home/user/.cache/evil.service'], false, true]),
  },
  {
    what: 'StartUnit with the unit name wrapped in a variant (issue 12 example)',
    ref: SD_REF,
    req: manager('system', 'StartUnit', [{ signature: 's', value: 'poweroff.target' }, 'replace']),
  },
  {
    what: 'StartUnit with the job mode "isolate" wrapped in a variant (issue 12 example)',
    ref: SD_REF,
    req: manager('system', 'StartUnit', ['multi-user.target', { signature: 's', value: 'isolate' }]),
  },
  {
    what: 'writing a property of a protected unit object (dbus.service) is judged a plain system_change',
    ref: SD_REF,
    req: write(
      'system',
      'org.freedesktop.systemd1',
      '/org/freedesktop/systemd1/unit/dbus_2eservice',
      'org.freedesktop.systemd1.Unit',
      'Description',
      'x',
    ),
  },
];

const refused: Attack[] = [
  ...[
    'poweroff.target',
    'reboot.target',
    'halt.target',
    'kexec.target',
    'rescue.target',
    'emergency.target',
    'suspend.target',
    'hibernate.target',
    'ctrl-alt-del.target',
    'systemd-poweroff.service',
    'systemd-reboot.service',
    'systemd-suspend.service',
    'exit.target',
  ].map((unit): Attack => ({
    what: `StartUnit ${unit}`,
    ref: SD_REF,
    req: manager('system', 'StartUnit', [unit, 'replace']),
  })),
  ...[
    'dbus.service',
    'dbus.socket',
    'dbus-broker.service',
    'systemd-logind.service',
    'systemd-journald.service',
    'systemd-journald.socket',
    'polkit.service',
    'ssh.service',
    'sshd.service',
    'sshd@0-10.0.0.1:22-10.0.0.2:5000.service',
    'gdm.service',
    'gdm3.service',
    'sddm.service',
    'lightdm.service',
    'display-manager.service',
    'NetworkManager.service',
    'systemd-networkd.service',
    'systemd-resolved.service',
    'user@1000.service',
    'dbus-mcp-standalone.service',
    'dbus-mcp-standalone.socket',
    'DBus.service',
    'dbus',
  ].map((unit): Attack => ({
    what: `StopUnit ${unit}`,
    ref: SD_REF,
    req: manager('system', 'StopUnit', [unit, 'replace']),
  })),
  {
    what: 'user manager StopUnit dbus.socket',
    ref: SD_REF,
    req: manager('session', 'StopUnit', ['dbus.socket', 'replace']),
  },
  {
    what: 'StartUnit any unit with job mode isolate',
    ref: SD_REF,
    req: manager('system', 'StartUnit', ['multi-user.target', 'isolate']),
  },
  {
    what: 'EnqueueUnitJob with job mode isolate',
    ref: SD_REF,
    req: manager('system', 'EnqueueUnitJob', ['multi-user.target', 'start', 'isolate']),
  },
  {
    what: 'StartUnitReplace into a protected unit',
    ref: SD_REF,
    req: manager('system', 'StartUnitReplace', ['nginx.service', 'reboot.target', 'replace']),
  },
  {
    what: 'MaskUnitFiles a protected unit without its suffix',
    ref: SD_REF,
    req: manager('system', 'MaskUnitFiles', [['dbus'], false, true]),
  },
  {
    what: 'KillUnit systemd-logind',
    ref: SD_REF,
    req: manager('system', 'KillUnit', ['systemd-logind.service', 'all', 9]),
  },
  {
    what: 'SetUnitProperties on dbus.service',
    ref: SD_REF,
    req: manager('system', 'SetUnitProperties', [
      'dbus.service',
      true,
      [['CPUQuota', { signature: 't', value: 1 }]],
    ]),
  },
  {
    what: 'Unit.Stop on the escaped path of dbus.service',
    ref: SD_REF,
    req: unitObject('system', 'dbus_2eservice', 'Stop'),
  },
  {
    what: "Unit.Stop on /unit/self (the caller's own unit: dbus-mcp)",
    ref: SD_REF,
    req: unitObject('session', 'self', 'Stop'),
  },
  {
    what: 'Unit.Start on the escaped path of reboot.target (upper-case hex escape)',
    ref: SD_REF,
    req: unitObject('system', 'reboot_2Etarget', 'Start'),
  },
  {
    what: 'a unit-changing call whose unit cannot be told',
    ref: SD_REF,
    req: manager('system', 'StartUnit', []),
  },
];

const legitimate: Legitimate[] = [
  {
    what: 'manage_unit start of an ordinary user service at low',
    req: manager('session', 'StartUnit', ['syncthing.service', 'replace']),
    level: 'low',
    kind: 'system_change',
  },
  {
    what: 'manage_unit restart of an ordinary user timer at low',
    req: manager('session', 'RestartUnit', ['backup.timer', 'replace']),
    level: 'low',
    kind: 'system_change',
  },
  {
    what: 'listing units',
    req: manager('system', 'ListUnits', []),
    level: 'high',
    kind: 'read',
  },
  {
    what: 'resolving a unit by name',
    req: manager('system', 'GetUnit', ['runlevel6.target']),
    level: 'high',
    kind: 'read',
  },
];

describe('redteam: protected units — bypasses found by the red team (refused now; todo while a class is open)', () => {
  describe('aliases and their unit objects', () => forbiddenEverywhere(byAlias));
  describe('power, rescue and the session by unit type and by the units that carry it', () =>
    forbiddenEverywhere(byEffect));
  describe('unlisted members, unit files, argument shapes, property writes', () =>
    forbiddenEverywhere(byMember));
});

describe('redteam: protected units — refused today (regression guards)', () => forbiddenEverywhere(refused));

describe('redteam: protected units — what a fix must not break', () => stillAllowed(legitimate));
