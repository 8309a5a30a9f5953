import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Variant } from 'dbus-next';
import { emitMockSignal } from '../helpers/buses.js';
import type { Mock, Program, World } from '../helpers/redteam.js';
import { attackTests, startAdHocMock, startProgram, startWorld } from '../helpers/redteam.js';

/**
 * Red team, class "secrets", through the real program: at low with `allow * * * * *`, and at high
 * with no rule at all for the members the read heuristics let through (KWallet readEntry, the KDE
 * cookie jar). Ad-hoc services stand in for kwalletd5, GNOME Online Accounts, signond, the KDE
 * cookie jar and the Secret Service (docs/SECURITY-REVIEW.md "secrets").
 */

const GOA_ACCOUNT = '/org/gnome/OnlineAccounts/Accounts/account_1';
const OBEX_SESSION = '/org/bluez/obex/client/session0';
const VPN_PATH = '/com/example/Vpn/Connection/1';

let world: World;
let low: Program;
let high: Program;
const mocks: Record<string, Mock> = {};
const mock = (name: string) => () => mocks[name] as Mock;

before(async () => {
  world = await startWorld();
  const S = world.session;
  mocks.kwallet = await startAdHocMock(S, 'org.kde.kwalletd5', '/modules/kwalletd5', 'org.kde.KWallet', [
    {
      interface: 'org.kde.KWallet',
      name: 'readPassword',
      inSig: 'isss',
      outSig: 's',
      code: 'ret = "hunter2"',
    },
    {
      interface: 'org.kde.KWallet',
      name: 'readEntry',
      inSig: 'isss',
      outSig: 'ay',
      code: 'ret = b"hunter2"',
    },
    { interface: 'org.kde.KWallet', name: 'passwordList', inSig: 'iss', outSig: 'a{sv}', code: 'ret = {}' },
  ]);
  mocks.goa = await startAdHocMock(
    S,
    'org.gnome.OnlineAccounts',
    GOA_ACCOUNT,
    'org.gnome.OnlineAccounts.PasswordBased',
    [
      {
        interface: 'org.gnome.OnlineAccounts.PasswordBased',
        name: 'GetPassword',
        inSig: 's',
        outSig: 's',
        code: 'ret = "hunter2"',
      },
      {
        interface: 'org.gnome.OnlineAccounts.OAuth2Based',
        name: 'GetAccessToken',
        inSig: '',
        outSig: 'si',
        code: 'ret = ("ya29.token", 3600)',
      },
    ],
  );
  mocks.signond = await startAdHocMock(
    S,
    'com.google.code.AccountsSSO.SingleSignOn',
    '/com/google/code/AccountsSSO/SingleSignOn/AuthSession_1',
    'com.google.code.AccountsSSO.SingleSignOn.AuthSession',
    [
      {
        interface: 'com.google.code.AccountsSSO.SingleSignOn.AuthSession',
        name: 'process',
        inSig: 'a{sv}s',
        outSig: 'a{sv}',
        code: 'ret = {"Secret": "hunter2"}',
      },
    ],
  );
  mocks.cookies = await startAdHocMock(
    S,
    'org.kde.kcookiejar5',
    '/modules/kcookiejar',
    'org.kde.KCookieServer',
    [
      {
        interface: 'org.kde.KCookieServer',
        name: 'findCookies',
        inSig: 'sx',
        outSig: 's',
        code: 'ret = "Cookie: session=abc"',
      },
    ],
  );
  mocks.secrets = await startAdHocMock(
    S,
    'org.freedesktop.secrets',
    '/org/freedesktop/secrets',
    'org.freedesktop.Secret.Service',
    [
      {
        interface: 'org.freedesktop.Secret.Service',
        name: 'GetSecrets',
        inSig: 'aoo',
        outSig: 'a{o(oayays)}',
        code: 'ret = {}',
      },
      // The same interface spelled in other cases: D-Bus names are case-sensitive, so a service
      // may well answer these; curated interfaces are matched without regard to case.
      ...['ORG.FREEDESKTOP.SECRET.SERVICE', 'org.freedesktop.secret.service'].map((iface) => ({
        interface: iface,
        name: 'GetSecrets',
        inSig: 'aoo',
        outSig: 'a{o(oayays)}',
        code: 'ret = {}',
      })),
    ],
  );
  mocks.obex = await startAdHocMock(S, 'org.bluez.obex', OBEX_SESSION, 'org.bluez.obex.ObjectPush1', [
    {
      interface: 'org.bluez.obex.ObjectPush1',
      name: 'SendFile',
      inSig: 's',
      outSig: 'oa{sv}',
      code: `ret = ("${OBEX_SESSION}/transfer0", {})`,
    },
    {
      interface: 'org.bluez.obex.FileTransfer1',
      name: 'PutFile',
      inSig: 'ss',
      outSig: 'oa{sv}',
      code: `ret = ("${OBEX_SESSION}/transfer1", {})`,
    },
  ]);
  mocks.vpn = await startAdHocMock(S, 'com.example.Vpn', VPN_PATH, 'com.example.Vpn.Connection', []);
  [low, high] = await Promise.all([
    startProgram(world, { level: 'low' }),
    startProgram(world, { level: 'high', rules: [] }),
  ]);
});

describe('redteam: secrets through the program (low, allow * * * * *)', () => {
  attackTests(
    () => low,
    [
      {
        name: 'KWallet readPassword (issue 12 example)',
        mock: mock('kwallet'),
        call: {
          service: 'org.kde.kwalletd5',
          path: '/modules/kwalletd5',
          interface: 'org.kde.KWallet',
          method: 'readPassword',
          args: [1, 'Passwords', 'github.com', 'kmail'],
        },
      },
      {
        name: 'KWallet passwordList: every password of a folder, interface found by introspection',
        mock: mock('kwallet'),
        call: {
          service: 'org.kde.kwalletd5',
          path: '/modules/kwalletd5',
          method: 'passwordList',
          args: [1, 'Passwords', 'kmail'],
        },
      },
      {
        name: 'GNOME Online Accounts GetPassword (issue 12 example)',
        mock: mock('goa'),
        call: {
          service: 'org.gnome.OnlineAccounts',
          path: GOA_ACCOUNT,
          interface: 'org.gnome.OnlineAccounts.PasswordBased',
          method: 'GetPassword',
          args: ['imap-password'],
        },
      },
      {
        name: 'GNOME Online Accounts OAuth2 GetAccessToken (issue 12 example)',
        mock: mock('goa'),
        call: {
          service: 'org.gnome.OnlineAccounts',
          path: GOA_ACCOUNT,
          interface: 'org.gnome.OnlineAccounts.OAuth2Based',
          method: 'GetAccessToken',
        },
      },
      {
        name: 'signond AuthSession.process returns the stored secret',
        mock: mock('signond'),
        call: {
          service: 'com.google.code.AccountsSSO.SingleSignOn',
          path: '/com/google/code/AccountsSSO/SingleSignOn/AuthSession_1',
          interface: 'com.google.code.AccountsSSO.SingleSignOn.AuthSession',
          method: 'process',
          args: [{}, 'password'],
        },
      },
      {
        name: 'BlueZ OBEX ObjectPush1.SendFile sends a private key to a nearby device',
        mock: mock('obex'),
        call: {
          service: 'org.bluez.obex',
          path: OBEX_SESSION,
          interface: 'org.bluez.obex.ObjectPush1',
          method: 'SendFile',
          args: ['/home/user/.ssh/id_ed25519'],
        },
      },
      {
        name: 'BlueZ OBEX FileTransfer1.PutFile, interface found by introspection',
        mock: mock('obex'),
        call: {
          service: 'org.bluez.obex',
          path: OBEX_SESSION,
          method: 'PutFile',
          args: ['/home/user/.ssh/id_ed25519', 'id_ed25519'],
        },
      },
      {
        name: 'Secret Service GetSecrets (refused today: regression guard)',
        mock: mock('secrets'),
        call: {
          service: 'org.freedesktop.secrets',
          path: '/org/freedesktop/secrets',
          interface: 'org.freedesktop.Secret.Service',
          method: 'GetSecrets',
          args: [['/i'], '/s'],
        },
      },
      ...['ORG.FREEDESKTOP.SECRET.SERVICE', 'org.freedesktop.secret.service'].map((iface) => ({
        name: `Secret Service GetSecrets on ${iface} (the curated entry, whatever the case)`,
        mock: mock('secrets'),
        call: {
          service: 'org.freedesktop.secrets',
          path: '/org/freedesktop/secrets',
          interface: iface,
          method: 'GetSecrets',
          args: [['/i'], '/s'],
        },
      })),
    ],
  );
});

describe('redteam: secrets through the program at high with no rule (reads by name heuristics)', () => {
  attackTests(
    () => high,
    [
      {
        name: 'KWallet readEntry is a read at high (issue 12 example)',
        mock: mock('kwallet'),
        call: {
          service: 'org.kde.kwalletd5',
          path: '/modules/kwalletd5',
          interface: 'org.kde.KWallet',
          method: 'readEntry',
          args: [1, 'Passwords', 'github.com', 'kmail'],
        },
      },
      {
        name: 'KDE cookie jar findCookies is a read at high',
        mock: mock('cookies'),
        call: {
          service: 'org.kde.kcookiejar5',
          path: '/modules/kcookiejar',
          interface: 'org.kde.KCookieServer',
          method: 'findCookies',
          args: ['https://mail.example/', 0],
        },
      },
    ],
  );
});

describe('redteam: secrets in signals (read_signals at high with no rule)', () => {
  test('PropertiesChanged never carries a secret-named property: it is named as invalidated instead', async () => {
    const sub = await high.call('subscribe_signals', {
      bus: 'session',
      sender: 'com.example.Vpn',
      interface: 'org.freedesktop.DBus.Properties',
      member: 'PropertiesChanged',
    });
    const id = (sub.structuredContent as { subscription_id: string }).subscription_id;
    await emitMockSignal(world.session, mocks.vpn as Mock, {
      path: VPN_PATH,
      interface: 'org.freedesktop.DBus.Properties',
      name: 'PropertiesChanged',
      signature: 'sa{sv}as',
      args: [
        'com.example.Vpn.Connection',
        { Password: new Variant('s', 'hunter2'), State: new Variant('u', 3) },
        [],
      ],
    });
    const read = await high.call('read_signals', { subscription_id: id, max: 1, wait_ms: 10_000 });
    const signals = (read.structuredContent as { signals: { member: string; args: unknown[] }[] }).signals;
    assert.equal(signals.length, 1, JSON.stringify(read.structuredContent));
    const text = JSON.stringify(signals[0]);
    assert.ok(!text.includes('hunter2'), text);
    const [iface, changed, invalidated] = signals[0]?.args ?? [];
    assert.equal(iface, 'com.example.Vpn.Connection');
    assert.deepEqual(Object.keys(changed as object), ['State']);
    assert.deepEqual(invalidated, ['Password']);
  });
});
