import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClassifyInput } from '../../../../src/worker/policy/classify.js';
import {
  ALL_CURATED,
  classify,
  curatedEntry,
  heuristicRead,
} from '../../../../src/worker/policy/classify.js';
import { SYSTEMD_MEMBERS, systemdMembers } from '../../../../src/worker/policy/units-curated.js';
import { unitFromPath, unitObjectPath } from '../../../../src/worker/policy/units-names.js';
import { protectedUnit } from '../../../../src/worker/policy/units-protected.js';

const LOGIN1 = 'org.freedesktop.login1.Manager';
const SD = 'org.freedesktop.systemd1.Manager';

function kindOf(iface: string, member: string, extra: Partial<ClassifyInput> = {}): string {
  return classify({
    bus: 'session',
    names: ['com.example.Anything'],
    path: '/',
    interface: iface,
    member,
    access: 'call',
    ...extra,
  }).kind;
}

/** [interface, member, args?, path?] — every operation of the forbidden floor. */
const FORBIDDEN: [string, string, unknown[]?, string?][] = [
  ...'PowerOff PowerOffWithFlags Reboot RebootWithFlags Halt HaltWithFlags Suspend SuspendWithFlags Hibernate HibernateWithFlags HybridSleep HybridSleepWithFlags SuspendThenHibernate SuspendThenHibernateWithFlags ScheduleShutdown SetRebootToFirmwareSetup'
    .split(' ')
    .map((m): [string, string] => [LOGIN1, m]),
  ...'PowerOff Reboot Halt KExec SoftReboot StartTransientUnit SetEnvironment UnsetEnvironment UnsetAndSetEnvironment'
    .split(' ')
    .map((m): [string, string] => [SD, m]),
  ['org.freedesktop.UPower', 'Suspend'],
  ['org.freedesktop.UPower', 'Hibernate'],
  ['org.freedesktop.Flatpak.Development', 'HostCommand'],
  ['org.freedesktop.portal.Flatpak', 'Spawn'],
  ['org.gnome.Shell', 'Eval'],
  ['org.kde.konsole.Session', 'sendText'],
  ['org.kde.konsole.Session', 'runCommand'],
  ['org.kde.yakuake', 'runCommandInTerminal'],
  ['org.gnome.Terminal.Terminal0', 'Exec'],
  ['org.kde.KLauncher', 'exec_blocking'],
  ['org.kde.krunner1', 'Run'],
  ['org.freedesktop.portal.DynamicLauncher', 'Launch'],
  ['org.freedesktop.PackageKit.Transaction', 'InstallPackages'],
  ['org.freedesktop.PackageKit.Transaction', 'UpdatePackages'],
  ['org.freedesktop.PackageKit.Transaction', 'RemovePackages'],
  ['org.freedesktop.PackageKit.Transaction', 'RefreshCache'],
  ['org.freedesktop.Secret.Service', 'GetSecrets'],
  ['org.freedesktop.Secret.Item', 'GetSecret'],
  ['org.freedesktop.portal.Secret', 'RetrieveSecret'],
  ['org.freedesktop.NetworkManager.Settings.Connection', 'GetSecrets'],
  ['org.freedesktop.DBus.Monitoring', 'BecomeMonitor'],
  ['org.freedesktop.DBus', 'UpdateActivationEnvironment'],
  ['org.freedesktop.DBus', 'RequestName'],
  ['org.freedesktop.Accounts.User', 'SetPassword'],
  ['org.freedesktop.Accounts', 'CreateUser'],
  ['org.freedesktop.Accounts', 'DeleteUser'],
  ['org.freedesktop.UDisks2.Block', 'Format'],
  ['org.freedesktop.UDisks2.Partition', 'Delete'],
  ['org.gnome.SessionManager', 'Shutdown'],
  ['org.kde.Shutdown', 'logoutAndShutdown'],
  ...[
    'dbus.service',
    'dbus.socket',
    'systemd-logind.service',
    'systemd-journald.service',
    'polkit.service',
    'ssh.service',
    'sshd.service',
    'gdm.service',
    'sddm.service',
    'lightdm.service',
    'display-manager.service',
    'NetworkManager.service',
    'systemd-networkd.service',
    'systemd-resolved.service',
    'user@1000.service',
    'dbus-mcp-standalone.service',
    'dbus-mcp-standalone.socket',
    'poweroff.target',
    'reboot.target',
    'sshd',
  ].flatMap((u): [string, string, unknown[]][] => [
    [SD, 'StartUnit', [u, 'replace']],
    [SD, 'StopUnit', [u, 'replace']],
    [SD, 'RestartUnit', [u, 'replace']],
    [SD, 'KillUnit', [u, 'all', 9]],
    [SD, 'MaskUnitFiles', [[u], false, true]],
  ]),
  [SD, 'StartUnit', ['rescue.target', 'replace']],
  [SD, 'StartUnit', ['multi-user.target', 'isolate']],
  [SD, 'StartUnitReplace', ['nginx.service', 'sshd.service', 'replace']],
  [SD, 'DisableUnitFiles', [['nginx.service', 'ssh.service'], false]],
  [SD, 'StartUnit', undefined],
  ['org.freedesktop.systemd1.Unit', 'Stop', ['replace'], unitObjectPath('dbus.service')],
  ['org.freedesktop.systemd1.Unit', 'Restart', ['replace'], unitObjectPath('user@1000.service')],
  ['org.freedesktop.systemd1.Unit', 'Start', ['replace'], '/org/freedesktop/systemd1/unit/self'],
  ['org.freedesktop.systemd1.Unit', 'Start', ['isolate'], unitObjectPath('graphical.target')],
];

describe('classify: the forbidden floor', () => {
  for (const [iface, member, args, path] of FORBIDDEN) {
    it(`${iface}.${member}(${JSON.stringify(args ?? '')}) ${path ?? ''} is forbidden`, () => {
      for (const bus of ['session', 'system'] as const) {
        const c = classify({
          bus,
          names: ['x.y'],
          path: path ?? '/',
          interface: iface,
          member,
          access: 'call',
          args,
        });
        assert.equal(c.kind, 'forbidden', c.reason);
      }
    });
  }

  it('an ordinary unit is a system change, not forbidden', () => {
    assert.equal(kindOf(SD, 'RestartUnit', { args: ['nginx.service', 'replace'] }), 'system_change');
    assert.equal(
      kindOf('org.freedesktop.systemd1.Unit', 'Restart', {
        args: ['replace'],
        path: unitObjectPath('nginx.service'),
      }),
      'system_change',
    );
  });

  it('Can* queries stay reads', () => {
    for (const m of [
      'CanPowerOff',
      'CanReboot',
      'CanSuspend',
      'CanHibernate',
      'CanHybridSleep',
      'CanSuspendThenHibernate',
    ]) {
      assert.equal(kindOf(LOGIN1, m), 'read', m);
    }
    assert.equal(kindOf('org.freedesktop.DBus', 'ListNames'), 'read');
    assert.equal(kindOf('org.freedesktop.DBus', 'GetNameOwner'), 'read');
    assert.equal(kindOf(SD, 'ListUnits'), 'read');
    assert.equal(kindOf(SD, 'GetUnit'), 'read');
  });
});

describe('classify: look-alikes', () => {
  for (const m of [
    'poweroff',
    'POWEROFF',
    'PowerOff2',
    'Power_Off',
    'powerOff',
    'PowerOffNow',
    'reboot',
    'SUSPEND',
  ]) {
    it(`${m} on logind is forbidden`, () => assert.equal(kindOf(LOGIN1, m), 'forbidden'));
  }
  it('look-alike interface spelling still hits the curated entry', () => {
    assert.equal(kindOf('org.freedesktop.Login1.manager', 'PowerOff'), 'forbidden');
  });
  it('power names are forbidden on an unknown interface too', () => {
    assert.equal(kindOf('com.example.Fake', 'Reboot'), 'forbidden');
    assert.equal(kindOf('com.example.Fake', 'power_off'), 'forbidden');
  });
  it('an unknown interface of a curated service is judged conservatively', () => {
    const names = [':1.5', 'org.freedesktop.login1'];
    assert.equal(kindOf('org.example.Other', 'PowerOffSoon', { names }), 'forbidden');
    assert.equal(kindOf('org.example.Other', 'GetThing', { names }), 'call');
  });
  it('an unknown member of a curated interface never becomes a read when it looks forbidden', () => {
    assert.equal(kindOf('org.freedesktop.Secret.Service', 'getsecrets'), 'forbidden');
    assert.equal(kindOf('org.freedesktop.Secret.Service', 'GetSecretsNow'), 'forbidden');
    assert.equal(kindOf('org.freedesktop.PackageKit.Transaction', 'GetUpdatesAndInstall'), 'forbidden');
    assert.equal(kindOf('org.kde.klipper.klipper', 'getClipboardText'), 'call');
  });
});

describe('classify: heuristics traps', () => {
  const unknown = 'com.example.App';
  it('refuses the trap names where they should be refused', () => {
    assert.equal(kindOf(unknown, 'UpdatePackages'), 'forbidden');
    assert.equal(kindOf(unknown, 'GetSecrets'), 'forbidden');
    assert.equal(kindOf(unknown, 'sendText'), 'forbidden');
    assert.equal(kindOf(unknown, 'StartTransientUnit'), 'forbidden');
    assert.equal(kindOf(unknown, 'SetPassword'), 'forbidden');
    assert.equal(kindOf(unknown, 'setClipboardContents'), 'call');
    assert.equal(kindOf('org.kde.klipper.klipper', 'setClipboardContents'), 'clipboard_write');
    assert.equal(kindOf('org.kde.klipper.klipper', 'getClipboardContents'), 'clipboard_read');
  });
  it('GPaste history reads are clipboard reads, not Get-prefixed plain reads', () => {
    assert.equal(kindOf('org.gnome.GPaste2', 'GetElementAtIndex'), 'clipboard_read');
    assert.equal(kindOf('org.gnome.GPaste2', 'GetHistory'), 'clipboard_read');
    assert.equal(kindOf('org.gnome.GPaste2', 'Add'), 'clipboard_write');
    assert.equal(kindOf('org.gnome.GPaste2', 'SomethingNew'), 'call');
  });
  it('reads by prefix, but not chained actions, secrets or partial words', () => {
    for (const m of [
      'GetFoo',
      'ListThings',
      'QueryState',
      'IsActive',
      'HasX',
      'CanDo',
      'ReadConfig',
      'FindIt',
      'SearchAll',
      'getValue',
      'get_value',
      'List',
    ]) {
      assert.equal(heuristicRead(m), true, m);
    }
    for (const m of [
      'GetOrCreateSession',
      'ReadAndDelete',
      'GetPassword',
      'GetToken',
      'Isolate',
      'Cancel',
      'Listen',
      'GetSetValue',
      'SetValue',
      'Update',
      'Getaway',
    ]) {
      assert.equal(heuristicRead(m), false, m);
    }
  });
});

describe('classify: standard interfaces and properties', () => {
  it('Introspect, Ping, GetManagedObjects are reads', () => {
    assert.equal(kindOf('org.freedesktop.DBus.Introspectable', 'Introspect'), 'read');
    assert.equal(kindOf('org.freedesktop.DBus.Peer', 'Ping'), 'read');
    assert.equal(kindOf('org.freedesktop.DBus.ObjectManager', 'GetManagedObjects'), 'read');
  });
  it('property writes take their curated kind', () => {
    assert.equal(kindOf('org.mpris.MediaPlayer2.Player', 'Volume', { access: 'set' }), 'media');
    assert.equal(kindOf('com.example.App', 'Colour', { access: 'set' }), 'property_write');
    assert.equal(kindOf('org.freedesktop.PackageKit', 'Anything', { access: 'set' }), 'forbidden');
    assert.equal(
      kindOf('org.freedesktop.NetworkManager', 'WirelessEnabled', { access: 'set' }),
      'system_change',
    );
    assert.equal(kindOf('org.freedesktop.Secret.Item', 'Label', { access: 'get' }), 'read');
  });
  it('desktop kinds', () => {
    assert.equal(kindOf('org.freedesktop.Notifications', 'Notify'), 'notify');
    assert.equal(kindOf('org.mpris.MediaPlayer2.Player', 'PlayPause'), 'media');
    assert.equal(kindOf('org.freedesktop.portal.OpenURI', 'OpenURI'), 'desktop_action');
    assert.equal(kindOf('org.freedesktop.portal.Screenshot', 'Screenshot'), 'screenshot');
    assert.equal(kindOf('org.gnome.Shell.Screenshot', 'ScreenshotWindow'), 'screenshot');
    assert.equal(kindOf('org.kde.KWin.ScreenShot2', 'CaptureActiveWindow'), 'screenshot');
  });
});

describe('unit names', () => {
  it('encodes and decodes systemd object paths', () => {
    assert.equal(unitObjectPath('nginx.service'), '/org/freedesktop/systemd1/unit/nginx_2eservice');
    assert.equal(unitObjectPath('user@1000.service'), '/org/freedesktop/systemd1/unit/user_401000_2eservice');
    assert.equal(unitFromPath(unitObjectPath('dbus-mcp-standalone.socket')), 'dbus-mcp-standalone.socket');
    assert.equal(unitFromPath('/org/freedesktop/systemd1'), undefined);
  });
  it('matches protected units case-insensitively and without suffix', () => {
    assert.equal(protectedUnit('networkmanager.service'), 'NetworkManager*');
    assert.equal(protectedUnit('dbus'), 'dbus.service');
    assert.equal(protectedUnit('nginx.service'), undefined);
  });
});

describe('classify: eavesdropping match rules are bus administration', () => {
  const addMatch = (rule: unknown) =>
    kindOf('org.freedesktop.DBus', 'AddMatch', { names: ['org.freedesktop.DBus'], args: [rule] });

  it('refuses a rule with an eavesdrop key, whatever its quoting, case, spacing or value', () => {
    for (const rule of [
      "type='signal',eavesdrop='true'",
      "eavesdrop='true'",
      'eavesdrop=true',
      "type='method_call', eavesdrop = 'true'",
      "EAVESDROP='true'",
      " Eavesdrop='false'",
      "sender='org.example',eavesdrop='true',interface='org.example.X'",
      "type='method_call',arg0='x,y',eavesdrop=''",
    ]) {
      assert.equal(addMatch(rule), 'forbidden', rule);
    }
  });

  it('refuses a rule it cannot read (not a string)', () => {
    assert.equal(addMatch({ signature: 's', value: "eavesdrop='true'" }), 'forbidden');
    assert.equal(addMatch(undefined), 'forbidden');
  });

  it('lets a rule through that only mentions eavesdrop in a value', () => {
    assert.equal(addMatch("type='signal',arg0='eavesdrop=true'"), 'call');
    assert.equal(addMatch("type='signal',arg0='eavesdrop'"), 'call');
    assert.equal(addMatch("type='signal',member='Changed'"), 'call');
  });

  it('refuses a value holding ,eavesdrop= (a lenient reading finds the key)', () => {
    assert.equal(addMatch("type='signal',arg0='it'\\''s,eavesdrop=true'"), 'forbidden');
  });
});

describe('curated look-ups (indexed once) find what a walk over the lists finds', () => {
  const walk = (iface: string) => {
    const lower = iface.toLowerCase();
    return ALL_CURATED.find((e) =>
      e.name.endsWith('*')
        ? lower.startsWith(e.name.slice(0, -1).toLowerCase())
        : lower === e.name.toLowerCase(),
    );
  };
  const names = ALL_CURATED.flatMap((e) => {
    const stem = e.name.replace(/\*$/, '');
    return [
      e.name,
      stem,
      stem.toUpperCase(),
      stem.toLowerCase(),
      `${stem}.Sub`,
      `${stem}X`,
      stem.slice(0, -1),
    ];
  });
  names.push('', 'com.example.Bench', 'org.freedesktop.DBus.Properties', 'ORG.FREEDESKTOP.SYSTEMD1.MANAGER');

  it('curatedEntry: the same entry for every curated name, its case variants, longer and shorter names', () => {
    assert.ok(ALL_CURATED.length > 20 && ALL_CURATED.some((e) => e.name.endsWith('*')));
    for (const name of names) assert.equal(curatedEntry(name), walk(name), name);
  });

  it('systemdMembers: the same table, whatever the case', () => {
    const keys = Object.keys(SYSTEMD_MEMBERS);
    for (const name of [...keys, ...keys.map((k) => k.toUpperCase()), ...names]) {
      const key = keys.find((k) => k.toLowerCase() === name.toLowerCase());
      assert.equal(systemdMembers(name), key === undefined ? undefined : SYSTEMD_MEMBERS[key], name);
    }
  });
});
