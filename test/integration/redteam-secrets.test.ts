import { before, describe } from 'node:test';
import type { Mock, Program, World } from '../helpers/redteam.js';
import { attackTests, startAdHocMock, startProgram, startWorld } from '../helpers/redteam.js';

/**
 * Red team, class "secrets", through the real program: at low with `allow * * * * *`, and at high
 * with no rule at all for the members the read heuristics let through (KWallet readEntry, the KDE
 * cookie jar). Ad-hoc services stand in for kwalletd5, GNOME Online Accounts, signond, the KDE
 * cookie jar and the Secret Service (FINDINGS.md "secrets").
 */

const SECRET = (why: string) => `redteam: secrets: ${why}`;
const GOA_ACCOUNT = '/org/gnome/OnlineAccounts/Accounts/account_1';

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
    ],
  );
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
        todo: SECRET('KWallet returns stored passwords'),
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
        todo: SECRET('KWallet returns stored passwords'),
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
        todo: SECRET('account password'),
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
        todo: SECRET('live OAuth2 token'),
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
        todo: SECRET('signond credentials'),
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
    ],
  );
});

describe('redteam: secrets through the program at high with no rule (reads by name heuristics)', () => {
  attackTests(
    () => high,
    [
      {
        name: 'KWallet readEntry is a read at high (issue 12 example)',
        todo: SECRET(
          '"read…" passes the read heuristics: a wallet entry at the default level, no rule needed',
        ),
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
        todo: SECRET('session cookies at the default level, no rule needed'),
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
