import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { nameOwner } from '../helpers/buses.js';
import { onCleanup, trackPid, untrackPid } from '../helpers/cleanup.js';
import type { Mock, Program, World } from '../helpers/redteam.js';
import {
  assertAttackRefused,
  assertForbiddenAndUnsent,
  startAdHocMock,
  startProgram,
  startWorld,
} from '../helpers/redteam.js';
import { tempDir, waitFor } from '../helpers/supervisor.js';

/**
 * Red team, class "code execution", through the real program (`dbus-mcp stdio`, low,
 * `allow * * * * *`). Two of the doors are the real Debian 12 services — dconf-service (a GNOME
 * custom keybinding whose command runs on a key press) and xdg-permission-store (a screenshot
 * permission granted for good) — where the proof is the file the service would write; the rest are
 * ad-hoc dbusmock services whose GetCalls shows what arrived (docs/SECURITY-REVIEW.md "code execution").
 */

/**
 * The dconf changeset of a GNOME custom keybinding: the GVariant `a{smv}` that
 * `dconf write` sends to ca.desrt.dconf.Writer.Change, setting
 * /org/gnome/settings-daemon/plugins/media-keys/custom-keybindings = ['…/custom0/'] and custom0's
 * name "Terminal", binding "<Super>t", command `sh -c "id > /tmp/redteam-dconf"`. Made once with
 * python3-gi: GLib.Variant('a{smv}', {…}).get_data_as_bytes() (little-endian, as dconf-service reads it).
 */
const KEYBINDING_CHANGESET =
  'L29yZy9nbm9tZS9zZXR0aW5ncy1kYWVtb24vcGx1Z2lucy9tZWRpYS1rZXlzL2N1c3RvbS1rZXliaW5kaW5ncwAAAAAAAAAAL29yZy9nbm9tZS9zZXR0aW5ncy1kYWVtb24vcGx1Z2lucy9tZWRpYS1rZXlzL2N1c3RvbS1rZXliaW5kaW5ncy9jdXN0b20wLwBKAGFzAEEvb3JnL2dub21lL3NldHRpbmdzLWRhZW1vbi9wbHVnaW5zL21lZGlhLWtleXMvY3VzdG9tLWtleWJpbmRpbmdzL2N1c3RvbTAvbmFtZQAAAFRlcm1pbmFsAABzAE4AAAAvb3JnL2dub21lL3NldHRpbmdzLWRhZW1vbi9wbHVnaW5zL21lZGlhLWtleXMvY3VzdG9tLWtleWJpbmRpbmdzL2N1c3RvbTAvYmluZGluZwAAAAAAAAAAPFN1cGVyPnQAAHMAUQAAAC9vcmcvZ25vbWUvc2V0dGluZ3MtZGFlbW9uL3BsdWdpbnMvbWVkaWEta2V5cy9jdXN0b20ta2V5YmluZGluZ3MvY3VzdG9tMC9jb21tYW5kAAAAAAAAAABzaCAtYyAiaWQgPiAvdG1wL3JlZHRlYW0tZGNvbmYiAABzAFGYAPUAXQHcAQ==';

let world: World;
let program: Program;
let home: string;
const mocks: Record<string, Mock> = {};

/** A real desktop service binary on the world's session bus, with its own XDG directories under `home`. */
async function startRealService(binary: string, name: string, args: string[] = []): Promise<void> {
  const child = spawn(binary, args, {
    env: {
      PATH: '/usr/bin:/bin',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_RUNTIME_DIR: join(home, 'runtime'),
      DBUS_SESSION_BUS_ADDRESS: world.session.address,
    },
    stdio: 'ignore',
  });
  const pid = child.pid as number;
  trackPid(pid);
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    untrackPid(pid);
  });
  await waitFor(`${name} on the session bus`, () => nameOwner(world.session, name), 15_000);
}

before(async () => {
  world = await startWorld();
  home = tempDir('dbus-mcp-redteam-home-');
  for (const d of ['.config', '.local/share', 'runtime'])
    mkdirSync(join(home, d), { recursive: true, mode: 0o700 });
  await startRealService('/usr/libexec/dconf-service', 'ca.desrt.dconf');
  await startRealService('/usr/libexec/xdg-permission-store', 'org.freedesktop.impl.portal.PermissionStore', [
    '--replace',
  ]);

  const S = world.session;
  mocks.machined = await startAdHocMock(
    world.system,
    'org.freedesktop.machine1',
    '/org/freedesktop/machine1',
    'org.freedesktop.machine1.Manager',
    [
      // The real reply is (h pty, s pty_path); a mock cannot hand out a pty, so it returns the path only.
      {
        interface: 'org.freedesktop.machine1.Manager',
        name: 'OpenMachineShell',
        inSig: 'sssasas',
        outSig: 's',
        code: 'ret = "/dev/pts/9"',
      },
    ],
  );
  mocks.portabled = await startAdHocMock(
    world.system,
    'org.freedesktop.portable1',
    '/org/freedesktop/portable1',
    'org.freedesktop.portable1.Manager',
    [
      {
        interface: 'org.freedesktop.portable1.Manager',
        name: 'AttachImage',
        inSig: 'sassbs',
        outSig: 'a(sss)',
        code: 'ret = []',
      },
    ],
  );
  mocks.terminator = await startAdHocMock(
    S,
    'net.tenshu.Terminator2',
    '/net/tenshu/Terminator2',
    'net.tenshu.Terminator2',
    [{ interface: 'net.tenshu.Terminator2', name: 'new_tab_cmdline', inSig: 'a{ss}' }],
  );
  mocks.xfceTerminal = await startAdHocMock(
    S,
    'org.xfce.Terminal5',
    '/org/xfce/Terminal',
    'org.xfce.Terminal5',
    [{ interface: 'org.xfce.Terminal5', name: 'Launch', inSig: 'uayaay' }],
  );
  mocks.tilix = await startAdHocMock(S, 'com.gexperts.Tilix', '/com/gexperts/Tilix', 'org.gtk.Application', [
    {
      interface: 'org.gtk.Application',
      name: 'CommandLine',
      inSig: 'oaaya{sv}',
      outSig: 'i',
      code: 'ret = 0',
    },
  ]);
  mocks.plasmashell = await startAdHocMock(S, 'org.kde.plasmashell', '/PlasmaShell', 'org.kde.PlasmaShell', [
    { interface: 'org.kde.PlasmaShell', name: 'evaluateScript', inSig: 's', outSig: 's', code: 'ret = ""' },
  ]);
  mocks.mutter = await startAdHocMock(
    S,
    'org.gnome.Mutter.RemoteDesktop',
    '/org/gnome/Mutter/RemoteDesktop',
    'org.gnome.Mutter.RemoteDesktop',
    [
      {
        interface: 'org.gnome.Mutter.RemoteDesktop',
        name: 'CreateSession',
        inSig: '',
        outSig: 'o',
        code: 'ret = "/org/gnome/Mutter/RemoteDesktop/Session/u1"',
      },
      {
        path: '/org/gnome/Mutter/RemoteDesktop/Session/u1',
        interface: 'org.gnome.Mutter.RemoteDesktop.Session',
        name: 'NotifyKeyboardKeysym',
        inSig: 'ub',
      },
    ],
  );
  mocks.portalGnome = await startAdHocMock(
    S,
    'org.freedesktop.impl.portal.desktop.gnome',
    '/org/freedesktop/portal/desktop',
    'org.freedesktop.impl.portal.Background',
    [
      {
        interface: 'org.freedesktop.impl.portal.Background',
        name: 'EnableAutostart',
        inSig: 'sbasu',
        outSig: 'b',
        code: 'ret = True',
      },
    ],
  );
  mocks.gnomeSession = await startAdHocMock(
    S,
    'org.gnome.SessionManager',
    '/org/gnome/SessionManager',
    'org.gnome.SessionManager',
    [{ interface: 'org.gnome.SessionManager', name: 'Setenv', inSig: 'ss' }],
  );
  mocks.shell = await startAdHocMock(S, 'org.gnome.Shell', '/org/gnome/Shell', 'org.gnome.Shell', [
    { interface: 'org.gnome.Shell', name: 'Eval', inSig: 's', outSig: 'bs', code: 'ret = (True, "")' },
  ]);
  mocks.konsole = await startAdHocMock(S, 'org.kde.konsole', '/Sessions/1', 'org.kde.konsole.Session', [
    { interface: 'org.kde.konsole.Session', name: 'runCommand', inSig: 's' },
  ]);
  program = await startProgram(world, { level: 'low' });
});

describe('redteam: code execution through the program (low, allow * * * * *)', () => {
  test('real dconf-service: Writer.Change installs a GNOME custom keybinding whose command runs on <Super>t', async () => {
    const r = await program.call('call_method', {
      service: 'ca.desrt.dconf',
      path: '/ca/desrt/dconf/Writer/user',
      interface: 'ca.desrt.dconf.Writer',
      method: 'Change',
      args: [{ base64: KEYBINDING_CHANGESET }],
    });
    const written = existsSync(join(home, '.config', 'dconf', 'user'));
    assertForbiddenAndUnsent(r, written ? ['dconf database written'] : [], 'ca.desrt.dconf.Writer.Change');
  });

  test('real xdg-permission-store: SetPermission grants the screenshot permission for good', async () => {
    const r = await program.call('call_method', {
      service: 'org.freedesktop.impl.portal.PermissionStore',
      path: '/org/freedesktop/impl/portal/PermissionStore',
      interface: 'org.freedesktop.impl.portal.PermissionStore',
      method: 'SetPermission',
      args: ['screenshot', true, 'screenshot', '', ['yes']],
    });
    const written = existsSync(join(home, '.local', 'share', 'flatpak', 'db', 'screenshot'));
    assertForbiddenAndUnsent(r, written ? ['permission table written'] : [], 'PermissionStore.SetPermission');
  });

  const attacks: { name: string; todo?: string; mock: string; at?: string; call: Record<string, unknown> }[] =
    [
      {
        name: 'machined OpenMachineShell(".host", "root", "/bin/sh", …) runs a command on the host',
        mock: 'machined',
        call: {
          bus: 'system',
          service: 'org.freedesktop.machine1',
          path: '/org/freedesktop/machine1',
          interface: 'org.freedesktop.machine1.Manager',
          method: 'OpenMachineShell',
          args: ['.host', 'root', '/bin/sh', ['sh', '-c', 'id'], []],
        },
      },
      {
        name: 'portabled AttachImage installs the units of an image',
        mock: 'portabled',
        call: {
          bus: 'system',
          service: 'org.freedesktop.portable1',
          path: '/org/freedesktop/portable1',
          interface: 'org.freedesktop.portable1.Manager',
          method: 'AttachImage',
          args: ['/var/tmp/evil.raw', [], 'trusted', false, 'copy'],
        },
      },
      {
        name: 'Terminator new_tab_cmdline (issue 12 example)',
        mock: 'terminator',
        call: {
          service: 'net.tenshu.Terminator2',
          path: '/net/tenshu/Terminator2',
          interface: 'net.tenshu.Terminator2',
          method: 'new_tab_cmdline',
          args: [{ execute: 'sh -c id' }],
        },
      },
      {
        name: 'xfce4-terminal Launch with -x',
        mock: 'xfceTerminal',
        call: {
          service: 'org.xfce.Terminal5',
          path: '/org/xfce/Terminal',
          interface: 'org.xfce.Terminal5',
          method: 'Launch',
          args: [0, { text: ':0' }, [{ text: 'xfce4-terminal' }, { text: '-x' }, { text: 'id' }]],
        },
      },
      {
        name: 'Tilix org.gtk.Application.CommandLine with -e (issue 12 example), interface found by introspection',
        mock: 'tilix',
        call: {
          service: 'com.gexperts.Tilix',
          path: '/com/gexperts/Tilix',
          method: 'CommandLine',
          args: [
            '/com/gexperts/Tilix/CommandLine/1',
            [{ text: 'tilix' }, { text: '-e' }, { text: 'id' }],
            {},
          ],
        },
      },
      {
        name: 'Plasma evaluateScript (issue 12 example)',
        mock: 'plasmashell',
        call: {
          service: 'org.kde.plasmashell',
          path: '/PlasmaShell',
          interface: 'org.kde.PlasmaShell',
          method: 'evaluateScript',
          args: ['print(1)'],
        },
      },
      {
        name: 'Mutter RemoteDesktop.Session.NotifyKeyboardKeysym types as the user (issue 12 example)',
        mock: 'mutter',
        at: '/org/gnome/Mutter/RemoteDesktop/Session/u1',
        call: {
          service: 'org.gnome.Mutter.RemoteDesktop',
          path: '/org/gnome/Mutter/RemoteDesktop/Session/u1',
          interface: 'org.gnome.Mutter.RemoteDesktop.Session',
          method: 'NotifyKeyboardKeysym',
          args: [0xff0d, true],
        },
      },
      {
        name: 'portal backend Background.EnableAutostart writes an autostart entry with Exec=<commandline>',
        mock: 'portalGnome',
        call: {
          service: 'org.freedesktop.impl.portal.desktop.gnome',
          path: '/org/freedesktop/portal/desktop',
          interface: 'org.freedesktop.impl.portal.Background',
          method: 'EnableAutostart',
          args: ['evil', true, ['sh', '-c', 'id'], 0],
        },
      },
      {
        name: 'gnome-session Setenv LD_PRELOAD',
        mock: 'gnomeSession',
        call: {
          service: 'org.gnome.SessionManager',
          path: '/org/gnome/SessionManager',
          interface: 'org.gnome.SessionManager',
          method: 'Setenv',
          args: ['LD_PRELOAD', '/tmp/evil.so'],
        },
      },
    ];
  for (const a of attacks) {
    test(a.name, a.todo !== undefined ? { todo: a.todo } : {}, async () => {
      const mock = mocks[a.mock] as Mock;
      await assertAttackRefused(program, { call: a.call, mock, at: a.at });
    });
  }
});

describe('redteam: code execution through the program — refused today (regression guards)', () => {
  test('GNOME Shell Eval by unique name, without interface', async () => {
    const unique = await nameOwner(world.session, 'org.gnome.Shell');
    assert.ok(unique?.startsWith(':'));
    await assertAttackRefused(program, {
      call: { service: unique, path: '/org/gnome/Shell', method: 'Eval', args: ['1'] },
      mock: mocks.shell as Mock,
    });
  });

  test('Konsole runCommand', async () => {
    await assertAttackRefused(program, {
      call: {
        service: 'org.kde.konsole',
        path: '/Sessions/1',
        interface: 'org.kde.konsole.Session',
        method: 'runCommand',
        args: ['id'],
      },
      mock: mocks.konsole as Mock,
    });
  });
});
