/**
 * Issue 12 §4 against services: ad-hoc dbusmock stand-ins for the desktop interfaces of every
 * class (session managers of KDE, XFCE, GNOME and LXQt, Plasma scripting, Terminator, a
 * GApplication terminal, Mutter's remote desktop, a portal backend, KWallet, GNOME Online
 * Accounts, kglobalaccel, and power names on an unknown interface), driven through the real
 * worker (call_method, get_property, get_all_properties) at every level under
 * `allow * * * * *`. GetCalls on each mock proves nothing forbidden reached a service, and that
 * the reads did (so the mocks answer, and reads at high still work).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { SAFETY_LEVELS } from '../../src/shared/config.js';
import { Variant } from 'dbus-next';
import { addMockMethod, addMockProperty, mockCall, startMock, startSessionBus } from '../helpers/buses.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import { onCleanup, trackDir } from '../helpers/cleanup.js';
import { callTool, connectInMemory, toolError } from '../helpers/mcp.js';

/** [interface, method, in-signature, out-signature, args] */
type Method = [string, string, string, string, unknown[]];

interface Stand {
  name: string;
  path: string;
  forbidden: Method[];
  reads: Method[];
}

const B: [string, string] = ['b', 'ret = True'];
const ACCOUNT = '/org/gnome/OnlineAccounts/Accounts/a1';

const STANDS: Stand[] = [
  {
    name: 'org.kde.ksmserver',
    path: '/KSMServer',
    forbidden: [
      ['org.kde.KSMServerInterface', 'logout', 'iii', '', [0, 2, 2]],
      ['org.kde.KSMServerInterface', 'closeSession', '', 'b', []],
    ],
    reads: [['org.kde.KSMServerInterface', 'canShutdown', '', 'b', []]],
  },
  {
    name: 'org.xfce.SessionManager',
    path: '/org/xfce/SessionManager',
    forbidden: [
      ['org.xfce.Session.Manager', 'Restart', 'b', '', [true]],
      ['org.xfce.Session.Manager', 'Logout', 'bb', '', [false, true]],
      ['org.xfce.Session.Manager', 'HybridSleep', 'b', '', [true]],
    ],
    reads: [['org.xfce.Session.Manager', 'CanRestart', '', 'b', []]],
  },
  {
    name: 'org.gnome.SessionManager',
    path: '/org/gnome/SessionManager',
    forbidden: [
      ['org.gnome.SessionManager', 'Logout', 'u', '', [1]],
      ['org.gnome.SessionManager', 'Setenv', 'ss', '', ['LD_PRELOAD', '/tmp/x.so']],
      ['org.gnome.SessionManager.EndSessionDialog', 'Open', 'uuuao', '', [2, 0, 60, []]],
    ],
    reads: [['org.gnome.SessionManager', 'CanShutdown', '', 'b', []]],
  },
  {
    name: 'org.lxqt.session',
    path: '/LXQtSession',
    forbidden: [
      ['org.lxqt.session', 'powerOff', '', '', []],
      ['org.lxqt.session', 'execDesktopFile', 's', '', ['/tmp/evil.desktop']],
    ],
    reads: [['org.lxqt.session', 'canPowerOff', '', 'b', []]],
  },
  {
    name: 'org.kde.plasmashell',
    path: '/PlasmaShell',
    forbidden: [['org.kde.PlasmaShell', 'evaluateScript', 's', 's', ['print(1)']]],
    reads: [],
  },
  {
    name: 'net.tenshu.Terminator2',
    path: '/net/tenshu/Terminator2',
    forbidden: [
      ['net.tenshu.Terminator2', 'new_tab_cmdline', 'a{ss}', '', [{ command: 'id' }]],
      ['net.tenshu.Terminator2', 'hsplit', 'sa{ss}', '', ['u', { execute: 'id' }]],
    ],
    reads: [['net.tenshu.Terminator2', 'get_terminals', '', 'as', []]],
  },
  {
    name: 'com.gexperts.Tilix',
    path: '/com/gexperts/Tilix',
    forbidden: [
      ['org.gtk.Application', 'CommandLine', 'oaaya{sv}', 'i', ['/x', [{ text: '-e' }, { text: 'id' }], {}]],
      ['org.gtk.Actions', 'Activate', 'sava{sv}', '', ['command', ['id'], {}]],
      ['org.freedesktop.Application', 'ActivateAction', 'sava{sv}', '', ['new-session', [], {}]],
    ],
    reads: [['org.gtk.Actions', 'List', '', 'as', []]],
  },
  {
    name: 'org.gnome.Mutter.RemoteDesktop',
    path: '/org/gnome/Mutter/RemoteDesktop',
    forbidden: [
      ['org.gnome.Mutter.RemoteDesktop', 'CreateSession', '', 'o', []],
      ['org.gnome.Mutter.RemoteDesktop.Session', 'NotifyKeyboardKeysym', 'ub', '', [65, true]],
    ],
    reads: [],
  },
  {
    name: 'org.freedesktop.impl.portal.desktop.gnome',
    path: '/org/freedesktop/portal/desktop',
    forbidden: [
      ['org.freedesktop.impl.portal.RemoteDesktop', 'NotifyPointerMotion', 'oa{sv}dd', '', ['/s', {}, 1, 1]],
      ['org.freedesktop.impl.portal.Secret', 'RetrieveSecret', 'osa{sv}', 'u', ['/h', 'x', {}]],
    ],
    reads: [],
  },
  {
    name: 'org.kde.kwalletd6',
    path: '/modules/kwalletd6',
    forbidden: [
      ['org.kde.KWallet', 'readPassword', 'isss', 's', [1, 'Passwords', 'github', 'app']],
      ['org.kde.KWallet', 'readEntry', 'isss', 'ay', [1, 'Passwords', 'github', 'app']],
      ['org.kde.KWallet', 'readMapList', 'isss', 'a{sv}', [1, 'Form Data', '*', 'app']],
      ['org.kde.KWallet', 'writePassword', 'issss', 'i', [1, 'Passwords', 'github', 'x', 'app']],
    ],
    reads: [['org.kde.KWallet', 'folderList', 'is', 'as', [1, 'app']]],
  },
  {
    name: 'org.gnome.OnlineAccounts',
    path: '/org/gnome/OnlineAccounts',
    forbidden: [
      ['org.gnome.OnlineAccounts.PasswordBased', 'GetPassword', 's', 's', ['imap-password']],
      ['org.gnome.OnlineAccounts.OAuth2Based', 'GetAccessToken', '', 'si', []],
    ],
    reads: [],
  },
  {
    name: 'org.kde.kglobalaccel',
    path: '/component/ksmserver',
    forbidden: [['org.kde.kglobalaccel.Component', 'invokeShortcut', 's', '', ['Halt Without Confirmation']]],
    reads: [],
  },
  {
    name: 'com.example.Vault',
    path: '/com/example/Vault',
    forbidden: [['com.example.Vault', 'FetchToken', '', 's', []]],
    reads: [],
  },
  {
    name: 'com.example.Power',
    path: '/com/example/Power',
    forbidden: [
      ['com.example.Power', 'PowerOffNow', '', '', []],
      ['com.example.Power', 'RebootNow', '', '', []],
      ['com.example.Power', 'logout', '', '', []],
      ['com.example.Power', 'suspendToRam', '', '', []],
      ['com.example.Power', 'requestShutDown', '', '', []],
    ],
    reads: [
      ['com.example.Power', 'CanPowerOff', '', 'b', []],
      ['com.example.Power', 'GetPowerOffTime', '', 't', []],
    ],
  },
];

let bus: TestBus;
const mocks = new Map<string, MockService>();
let rulesDir: string;

function code(out: string): string {
  if (out === '') return '';
  if (out === 'b') return B[1];
  if (out === 's') return 'ret = "x"';
  if (out === 'as') return 'ret = []';
  if (out === 'ay') return 'ret = b"x"';
  if (out === 'a{sv}') return 'ret = {}';
  if (out === 'si') return 'ret = ("t", 1)';
  if (out === 'o') return 'ret = "/s"';
  return 'ret = 0';
}

before(async () => {
  bus = await startSessionBus();
  await Promise.all(
    STANDS.map(async (s) => {
      const first = s.forbidden[0]?.[0] ?? 'com.example.X';
      const manager = ['org.gnome.OnlineAccounts', 'com.example.Vault'].includes(s.name) ? ['-m'] : [];
      const mock = await startMock(bus, [...manager, s.name, s.path, first], { name: s.name, path: s.path });
      for (const [iface, name, inSig, outSig] of [...s.forbidden, ...s.reads]) {
        await addMockMethod(bus, mock, { interface: iface, name, inSig, outSig, code: code(outSig) });
      }
      mocks.set(s.name, mock);
    }),
  );
  // An account object under GOA's object manager, holding a client secret.
  const goa = mocks.get('org.gnome.OnlineAccounts') as MockService;
  await mockCall(bus, goa, 'AddObject', 'ssa{sv}a(ssss)', [
    ACCOUNT,
    'org.gnome.OnlineAccounts.OAuth2Based',
    { ClientSecret: new Variant('s', 'hunter2'), ClientId: new Variant('s', 'public-id') },
    [],
  ]);
  const vault = mocks.get('com.example.Vault') as MockService;
  await addMockProperty(bus, vault, {
    interface: 'com.example.Vault',
    name: 'Password',
    signature: 's',
    value: 'hunter2',
  });
  await addMockProperty(bus, vault, {
    interface: 'com.example.Vault',
    name: 'Label',
    signature: 's',
    value: 'mine',
  });
  await mockCall(bus, vault, 'AddObject', 'ssa{sv}a(ssss)', [
    '/com/example/Vault/item1',
    'com.example.Vault.Item',
    { Password: new Variant('s', 'hunter2'), Label: new Variant('s', 'item one') },
    [],
  ]);
  await addMockProperty(bus, vault, {
    interface: 'com.example.Vault.Meta',
    name: 'PasswordMode',
    signature: 'i',
    value: 1,
  });
  rulesDir = mkdtempSync(join(tmpdir(), 'dbus-mcp-floor-'));
  trackDir(rulesDir);
  writeFileSync(join(rulesDir, 'all.rules'), 'allow * * * * *\n');
});

async function session(level: string, rules = true) {
  const s = await connectInMemory({
    settings: {
      SESSION_BUS_ADDRESS: bus.address,
      SAFETY_LEVEL: level,
      ...(rules ? { POLICY_DIRS: rulesDir } : {}),
    },
  });
  onCleanup(() => s.close());
  return s;
}

describe('desktop floor classes against services', () => {
  for (const level of SAFETY_LEVELS) {
    test(`every class is refused at ${level} under allow * * * * *, with and without the interface`, async () => {
      const s = await session(level);
      for (const stand of STANDS) {
        for (const [iface, method, inSig, , args] of stand.forbidden) {
          for (const withInterface of [true, false]) {
            const r = await callTool(s.client, 'call_method', {
              service: stand.name,
              path: stand.path,
              ...(withInterface ? { interface: iface } : {}),
              method,
              args,
              signature: inSig,
            });
            const what = `${level} ${stand.name} ${iface}.${method} (interface ${withInterface ? 'given' : 'omitted'})`;
            const err = toolError(r);
            assert.equal(err.name, 'dbus-mcp.POLICY_DENIED', `${what}: ${err.message}`);
            assert.equal(err.kind, 'forbidden', `${what}: ${err.message}`);
            assert.match(String(err.hint), /forbidden at every level/, what);
          }
        }
      }
      const secret = await callTool(s.client, 'get_property', {
        service: 'org.gnome.OnlineAccounts',
        path: ACCOUNT,
        interface: 'org.gnome.OnlineAccounts.OAuth2Based',
        property: 'ClientSecret',
      });
      assert.equal(toolError(secret).kind, 'forbidden');
      const all = await callTool(s.client, 'get_all_properties', {
        service: 'org.gnome.OnlineAccounts',
        path: ACCOUNT,
        interface: 'org.gnome.OnlineAccounts.OAuth2Based',
      });
      assert.equal(toolError(all).kind, 'forbidden');
      const viaProperties = await callTool(s.client, 'call_method', {
        service: 'org.gnome.OnlineAccounts',
        path: ACCOUNT,
        interface: 'org.freedesktop.DBus.Properties',
        method: 'Get',
        args: ['org.gnome.OnlineAccounts.OAuth2Based', 'ClientSecret'],
      });
      assert.equal(toolError(viaProperties).kind, 'forbidden');
      // GetManagedObjects would carry every property of every account, the client secret included.
      const managed = await callTool(s.client, 'call_method', {
        service: 'org.gnome.OnlineAccounts',
        path: '/org/gnome/OnlineAccounts',
        interface: 'org.freedesktop.DBus.ObjectManager',
        method: 'GetManagedObjects',
      });
      assert.equal(toolError(managed).kind, 'forbidden');
      // GetAll of an interface no entry knows is judged on the properties introspection lists.
      const vault = { service: 'com.example.Vault', path: '/com/example/Vault' };
      const vaultAll = await callTool(s.client, 'get_all_properties', {
        ...vault,
        interface: 'com.example.Vault',
      });
      assert.equal(toolError(vaultAll).kind, 'forbidden');
      const password = await callTool(s.client, 'get_property', {
        ...vault,
        interface: 'com.example.Vault',
        property: 'Password',
      });
      assert.equal(toolError(password).kind, 'forbidden');
      const meta = await callTool(s.client, 'get_all_properties', {
        ...vault,
        interface: 'com.example.Vault.Meta',
      });
      assert.equal(meta.isError, undefined, JSON.stringify(meta.content));
      const label = await callTool(s.client, 'get_property', {
        ...vault,
        interface: 'com.example.Vault',
        property: 'Label',
      });
      assert.equal(label.isError, undefined, JSON.stringify(label.content));
    });
  }

  test('reads run at high without any rule; a read-prefixed action word is no read', async () => {
    const s = await session('high', false);
    for (const stand of STANDS) {
      for (const [iface, method, inSig, , args] of stand.reads) {
        const r = await callTool(s.client, 'call_method', {
          service: stand.name,
          path: stand.path,
          interface: iface,
          method,
          args,
          signature: inSig,
        });
        assert.equal(r.isError, undefined, `${stand.name} ${iface}.${method}: ${JSON.stringify(r.content)}`);
      }
    }
    const mock = mocks.get('com.example.Power') as MockService;
    await addMockMethod(bus, mock, {
      interface: 'com.example.Power',
      name: 'GetResetCounters',
      inSig: '',
      outSig: '',
      code: '',
    });
    const reset = await callTool(s.client, 'call_method', {
      service: 'com.example.Power',
      path: '/com/example/Power',
      interface: 'com.example.Power',
      method: 'GetResetCounters',
    });
    assert.match(toolError(reset).message, /not allowed at level high/);
    // list_objects still lists GOA's accounts: it walks introspection instead of GetManagedObjects.
    const objects = await callTool(s.client, 'list_objects', {
      service: 'org.gnome.OnlineAccounts',
      path: '/org/gnome/OnlineAccounts',
    });
    assert.equal(objects.isError, undefined, JSON.stringify(objects.content));
    const listed = objects.structuredContent as { method: string; objects: { path: string }[] };
    assert.equal(listed.method, 'walk');
    assert.ok(
      listed.objects.some((o) => o.path === ACCOUNT),
      JSON.stringify(listed),
    );
    assert.doesNotMatch(JSON.stringify(objects), /hunter2/);
    // A service no entry knows: its managed objects come back without their secret-named properties.
    const managed = await callTool(s.client, 'call_method', {
      service: 'com.example.Vault',
      path: '/com/example/Vault',
      interface: 'org.freedesktop.DBus.ObjectManager',
      method: 'GetManagedObjects',
    });
    assert.equal(managed.isError, undefined, JSON.stringify(managed.content));
    const text = JSON.stringify(managed.structuredContent);
    assert.match(text, /item one/);
    assert.doesNotMatch(text, /hunter2|Password/);
    const id = await callTool(s.client, 'get_property', {
      service: 'org.gnome.OnlineAccounts',
      path: ACCOUNT,
      interface: 'org.gnome.OnlineAccounts.OAuth2Based',
      property: 'ClientId',
    });
    assert.equal((id.structuredContent as { value: string }).value, 'public-id');
  });

  test('GetCalls: nothing forbidden reached any service, the reads did', async () => {
    for (const stand of STANDS) {
      const mock = mocks.get(stand.name) as MockService;
      const [calls] = await mockCall(bus, mock, 'GetCalls', '', []);
      const members = (calls as [bigint, string, unknown[]][]).map((c) => c[1]);
      for (const [, method] of stand.forbidden) {
        assert.ok(
          !members.includes(method),
          `${stand.name}.${method} reached the service: ${members.join(' ')}`,
        );
      }
      for (const [, method] of stand.reads) {
        assert.ok(members.includes(method), `${stand.name}.${method} did not run: ${members.join(' ')}`);
      }
    }
  });
});
