import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { MockService } from '../helpers/buses.js';
import { mockCall, nameOwner, startMock } from '../helpers/buses.js';
import type { Mock, Program, World } from '../helpers/redteam.js';
import {
  assertForbiddenAndUnsent,
  startAdHocMock,
  startProgram,
  startWorld,
  takeCalls,
} from '../helpers/redteam.js';

/**
 * Red team, class "power", through the real program: `dbus-mcp stdio` at low with
 * `allow * * * * *`, against dbusmock's logind template and ad-hoc KDE, XFCE, LXQt and unknown
 * services (docs/SECURITY-REVIEW.md "power"). Each attack must be refused and reach nothing.
 */

let world: World;
let program: Program;
let logind: MockService;
let ksmserver: Mock;
let kglobalaccel: Mock;
let xfce: Mock;
let lxqt: Mock;
let daemon: Mock;
let liar: Mock;

before(async () => {
  world = await startWorld();
  logind = await startMock(world.system, ['--template', 'logind']);
  await mockCall(world.system, logind, 'AddSeat', 's', ['seat0']);
  await mockCall(world.system, logind, 'AddUser', 'usb', [1000, 'user', true]);
  await mockCall(world.system, logind, 'AddSession', 'ssusb', ['c1', 'seat0', 1000, 'user', true]);
  await takeCalls(world.system, logind);
  ksmserver = await startAdHocMock(
    world.session,
    'org.kde.ksmserver',
    '/KSMServer',
    'org.kde.KSMServerInterface',
    [
      { interface: 'org.kde.KSMServerInterface', name: 'logout', inSig: 'iii' },
      {
        interface: 'org.kde.KSMServerInterface',
        name: 'closeSession',
        inSig: '',
        outSig: 'b',
        code: 'ret = True',
      },
      {
        interface: 'org.kde.KSMServerInterface',
        name: 'canShutdown',
        inSig: '',
        outSig: 'b',
        code: 'ret = True',
      },
    ],
  );
  kglobalaccel = await startAdHocMock(
    world.session,
    'org.kde.kglobalaccel',
    '/kglobalaccel',
    'org.kde.KGlobalAccel',
    [
      {
        path: '/component/ksmserver',
        interface: 'org.kde.kglobalaccel.Component',
        name: 'invokeShortcut',
        inSig: 'ss',
      },
    ],
  );
  xfce = await startAdHocMock(
    world.session,
    'org.xfce.SessionManager',
    '/org/xfce/SessionManager',
    'org.xfce.Session.Manager',
    [
      { interface: 'org.xfce.Session.Manager', name: 'Restart', inSig: 'b' },
      { interface: 'org.xfce.Session.Manager', name: 'Logout', inSig: 'bb' },
      { interface: 'org.xfce.Session.Manager', name: 'Shutdown', inSig: 'b' },
    ],
  );
  lxqt = await startAdHocMock(world.session, 'org.lxqt.session', '/LXQtSession', 'org.lxqt.session', [
    { interface: 'org.lxqt.session', name: 'logout', inSig: '' },
  ]);
  daemon = await startAdHocMock(
    world.session,
    'com.example.Daemon',
    '/com/example/Daemon',
    'com.example.Daemon',
    [
      { interface: 'com.example.Daemon', name: 'PowerOffNow', inSig: '' },
      { interface: 'com.example.Daemon', name: 'shutdown_now', inSig: '' },
      { interface: 'com.example.Daemon', name: 'Logout', inSig: '' },
    ],
  );
  // A service that lies: it declares power methods on a harmless-looking interface.
  liar = await startAdHocMock(
    world.session,
    'com.example.Liar',
    '/com/example/Liar',
    'com.example.Harmless',
    [
      { interface: 'com.example.Harmless', name: 'Suspend', inSig: '' },
      { interface: 'com.example.Harmless', name: 'RebootNow', inSig: '' },
    ],
  );
  program = await startProgram(world, { level: 'low' });
});

async function attempt(args: Record<string, unknown>) {
  return program.call('call_method', { args: [], ...args });
}

describe('redteam: power through the program (low, allow * * * * *)', () => {
  test('logind TerminateSession ends the session', async () => {
    const r = await attempt({
      bus: 'system',
      service: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      interface: 'org.freedesktop.login1.Manager',
      method: 'TerminateSession',
      args: ['c1'],
    });
    assertForbiddenAndUnsent(r, await takeCalls(world.system, logind), 'TerminateSession');
  });

  test('logind TerminateUser ends every session of the user', async () => {
    const r = await attempt({
      bus: 'system',
      service: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      interface: 'org.freedesktop.login1.Manager',
      method: 'TerminateUser',
      args: [1000],
    });
    assertForbiddenAndUnsent(r, await takeCalls(world.system, logind), 'TerminateUser');
  });

  test('logind Session.Terminate on the session object, by unique name and without interface', async () => {
    const unique = await nameOwner(world.system, 'org.freedesktop.login1');
    assert.ok(unique?.startsWith(':'));
    const path = '/org/freedesktop/login1/session/c1';
    const r = await attempt({ bus: 'system', service: unique, path, method: 'Terminate' });
    assertForbiddenAndUnsent(r, await takeCalls(world.system, logind, path), 'Session.Terminate');
  });

  test('ksmserver logout(0, 2, 2): halt without asking (issue 12 example)', async () => {
    const r = await attempt({
      service: 'org.kde.ksmserver',
      path: '/KSMServer',
      interface: 'org.kde.KSMServerInterface',
      method: 'logout',
      args: [0, 2, 2],
    });
    assertForbiddenAndUnsent(r, await ksmserver.calls(), 'KSMServerInterface.logout');
  });

  test('ksmserver closeSession by unique name, interface found by introspection', async () => {
    const unique = await nameOwner(world.session, 'org.kde.ksmserver');
    const r = await attempt({ service: unique, path: '/KSMServer', method: 'closeSession' });
    assertForbiddenAndUnsent(r, await ksmserver.calls(), 'KSMServerInterface.closeSession');
  });

  test('kglobalaccel invokeShortcut("Halt Without Confirmation")', async () => {
    const r = await attempt({
      service: 'org.kde.kglobalaccel',
      path: '/component/ksmserver',
      interface: 'org.kde.kglobalaccel.Component',
      method: 'invokeShortcut',
      args: ['Halt Without Confirmation', 'default'],
    });
    assertForbiddenAndUnsent(r, await kglobalaccel.calls('/component/ksmserver'), 'invokeShortcut');
  });

  test('XFCE session Restart (a reboot) and Logout without a dialog (issue 12 examples)', async () => {
    for (const [method, args] of [
      ['Restart', [false]],
      ['Logout', [false, false]],
    ] as const) {
      const r = await attempt({
        service: 'org.xfce.SessionManager',
        path: '/org/xfce/SessionManager',
        interface: 'org.xfce.Session.Manager',
        method,
        args: [...args],
      });
      assertForbiddenAndUnsent(r, await xfce.calls(), `org.xfce.Session.Manager.${method}`);
    }
  });

  test('LXQt session logout', async () => {
    const r = await attempt({
      service: 'org.lxqt.session',
      path: '/LXQtSession',
      interface: 'org.lxqt.session',
      method: 'logout',
    });
    assertForbiddenAndUnsent(r, await lxqt.calls(), 'org.lxqt.session.logout');
  });

  test('power words on an unknown interface: PowerOffNow, shutdown_now, Logout', async () => {
    for (const method of ['PowerOffNow', 'shutdown_now', 'Logout']) {
      const r = await attempt({
        service: 'com.example.Daemon',
        path: '/com/example/Daemon',
        interface: 'com.example.Daemon',
        method,
      });
      assertForbiddenAndUnsent(r, await daemon.calls(), method);
    }
  });

  test('a lying service: RebootNow declared on a harmless interface, called without interface', async () => {
    const r = await attempt({
      service: 'com.example.Liar',
      path: '/com/example/Liar',
      method: 'RebootNow',
    });
    assertForbiddenAndUnsent(r, await liar.calls(), 'RebootNow');
  });
});

describe('redteam: power through the program — refused today (regression guards)', () => {
  test('logind PowerOff by unique name without interface', async () => {
    const unique = await nameOwner(world.system, 'org.freedesktop.login1');
    const r = await attempt({
      bus: 'system',
      service: unique,
      path: '/org/freedesktop/login1',
      method: 'PowerOff',
      args: [false],
    });
    assertForbiddenAndUnsent(r, await takeCalls(world.system, logind), 'PowerOff');
  });

  test('XFCE Shutdown', async () => {
    const r = await attempt({
      service: 'org.xfce.SessionManager',
      path: '/org/xfce/SessionManager',
      interface: 'org.xfce.Session.Manager',
      method: 'Shutdown',
      args: [false],
    });
    assertForbiddenAndUnsent(r, await xfce.calls(), 'org.xfce.Session.Manager.Shutdown');
  });

  test('a lying service: Suspend declared on a harmless interface, called without interface', async () => {
    const r = await attempt({ service: 'com.example.Liar', path: '/com/example/Liar', method: 'Suspend' });
    assertForbiddenAndUnsent(r, await liar.calls(), 'Suspend');
  });

  test('a read still works: ksmserver canShutdown at low', async () => {
    const r = await attempt({
      service: 'org.kde.ksmserver',
      path: '/KSMServer',
      interface: 'org.kde.KSMServerInterface',
      method: 'canShutdown',
    });
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    assert.deepEqual(r.structuredContent, { signature: 'b', values: [true] });
    assert.deepEqual(await ksmserver.calls(), ['canShutdown']);
  });
});
