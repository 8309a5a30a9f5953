import { describe } from 'node:test';
import type { OperationRequest } from '../../../../src/worker/policy/resolve.js';
import type { Attack, Legitimate } from './redteam-support.js';
import { call, forbiddenEverywhere, stillAllowed } from './redteam-support.js';

/**
 * Red team, class "secrets": reading passwords, tokens, keys, cookies, wallet entries — from any
 * wallet, account store or credential cache (issue 12 §4; docs/SECURITY-REVIEW.md "secrets").
 */

const KWALLET_REF =
  'org.kde.KWallet in /usr/bin/kwalletd5 (Debian 12 KF5 5.103); kwallet src/runtime/kwalletd/org.kde.KWallet.xml';

function kwallet(
  service: 'org.kde.kwalletd5' | 'org.kde.kwalletd6',
  member: string,
  args: unknown[],
): OperationRequest {
  const path = service === 'org.kde.kwalletd5' ? '/modules/kwalletd5' : '/modules/kwalletd6';
  return call('session', service, path, 'org.kde.KWallet', member, args);
}

const wallets: Attack[] = [
  ...(
    [
      ['readPassword', [1, 'Passwords', 'github.com', 'kmail'], 'one password'],
      [
        'readEntry',
        [1, 'Passwords', 'github.com', 'kmail'],
        'one entry (a read at high by name heuristics, issue 12 example)',
      ],
      [
        'readMap',
        [1, 'Form Data', 'https://bank.example', 'firefox'],
        'one map of form data (a read at high)',
      ],
      ['passwordList', [1, 'Passwords', 'kmail'], 'every password of a folder'],
      ['readPasswordList', [1, 'Passwords', '*', 'kmail'], 'every password matching a pattern'],
      ['entriesList', [1, 'Passwords', 'kmail'], 'every entry of a folder'],
      ['readEntryList', [1, 'Passwords', '*', 'kmail'], 'every entry matching a pattern'],
      ['mapList', [1, 'Form Data', 'firefox'], 'every map of a folder'],
      ['readMapList', [1, 'Form Data', '*', 'firefox'], 'every map matching a pattern'],
    ] as const
  ).map(([member, args, what]): Attack => ({
    what: `KWallet ${member}: ${what}`,
    ref: KWALLET_REF,
    req: kwallet('org.kde.kwalletd5', member, [...args]),
  })),
  {
    what: 'KWallet readPassword on Plasma 6 (kwalletd6)',
    ref: 'kwallet 6 org.kde.KWallet on org.kde.kwalletd6',
    req: kwallet('org.kde.kwalletd6', 'readPassword', [1, 'Passwords', 'github.com', 'kmail']),
  },
  {
    what: 'GNOME Online Accounts PasswordBased.GetPassword (issue 12 example)',
    ref: 'gnome-online-accounts data/dbus-interfaces.xml: org.gnome.OnlineAccounts.PasswordBased.GetPassword(s id)',
    req: call(
      'session',
      'org.gnome.OnlineAccounts',
      '/org/gnome/OnlineAccounts/Accounts/account_1',
      'org.gnome.OnlineAccounts.PasswordBased',
      'GetPassword',
      ['imap-password'],
    ),
  },
  {
    what: 'GNOME Online Accounts OAuth2Based.GetAccessToken (issue 12 example)',
    ref: 'gnome-online-accounts: org.gnome.OnlineAccounts.OAuth2Based.GetAccessToken() → (s token, i expires_in)',
    req: call(
      'session',
      'org.gnome.OnlineAccounts',
      '/org/gnome/OnlineAccounts/Accounts/account_1',
      'org.gnome.OnlineAccounts.OAuth2Based',
      'GetAccessToken',
    ),
  },
  {
    what: 'GNOME Online Accounts OAuthBased.GetAccessToken (OAuth 1: token and token secret)',
    ref: 'gnome-online-accounts: org.gnome.OnlineAccounts.OAuthBased.GetAccessToken() → (s token, s token_secret, i expires_in)',
    req: call(
      'session',
      'org.gnome.OnlineAccounts',
      '/org/gnome/OnlineAccounts/Accounts/account_1',
      'org.gnome.OnlineAccounts.OAuthBased',
      'GetAccessToken',
    ),
  },
  {
    what: 'signond AuthSession.process returns the stored secret / access token (Ubuntu Online Accounts, KDE KAccounts)',
    ref: 'accounts-sso signond lib/signond/com.google.code.AccountsSSO.SingleSignOn.AuthSession.xml: process(a{sv}, s mechanism) → a{sv}',
    req: call(
      'session',
      'com.google.code.AccountsSSO.SingleSignOn',
      '/com/google/code/AccountsSSO/SingleSignOn/AuthSession_1',
      'com.google.code.AccountsSSO.SingleSignOn.AuthSession',
      'process',
      [{}, 'password'],
    ),
  },
  {
    what: 'KIO password cache checkAuthInfo returns the cached login for a URL',
    ref: 'org.kde.KPasswdServer (checkAuthInfo queryAuthInfo …) in kf5/kiod/kpasswdserver.so (Debian 12 KIO 5.103)',
    req: call(
      'session',
      'org.kde.kpasswdserver',
      '/modules/kpasswdserver',
      'org.kde.KPasswdServer',
      'checkAuthInfo',
      [[0], 0, 0],
    ),
  },
  {
    what: 'KDE cookie jar findCookies returns the Cookie header for a URL: session tokens — a read at high',
    ref: 'org.kde.KCookieServer (listCookies findCookies findDOMCookies …) in kf5/kded/kcookiejar.so (Debian 12)',
    req: call(
      'session',
      'org.kde.kcookiejar5',
      '/modules/kcookiejar',
      'org.kde.KCookieServer',
      'findCookies',
      ['https://mail.example/', 0],
    ),
  },
  {
    what: 'KDE cookie jar listCookies for a domain — a read at high',
    ref: 'org.kde.KCookieServer.listCookies(s domain, ai fields, x windowId) in kcookiejar.so (Debian 12)',
    req: call(
      'session',
      'org.kde.kcookiejar5',
      '/modules/kcookiejar',
      'org.kde.KCookieServer',
      'listCookies',
      ['mail.example', [0, 1, 2, 3], 0],
    ),
  },
  ...(
    [
      [
        'UnlockWithMasterPassword',
        ['/org/freedesktop/secrets/collection/login', ['/s', [], [], 'text/plain']],
        'tries a password on the login keyring',
      ],
      [
        'ChangeWithMasterPassword',
        [
          '/org/freedesktop/secrets/collection/login',
          ['/s', [], [], 'text/plain'],
          ['/s', [], [], 'text/plain'],
        ],
        'sets a new keyring master password',
      ],
      [
        'CreateWithMasterPassword',
        [{}, ['/s', [], [], 'text/plain']],
        'creates a keyring with a caller-chosen password',
      ],
    ] as const
  ).map(([member, args, what]): Attack => ({
    what: `gnome-keyring internal ${member}: ${what}, without a prompt`,
    ref: 'gnome-keyring daemon/dbus/gkd-secret-service.c: org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface',
    req: call(
      'session',
      'org.freedesktop.secrets',
      '/org/freedesktop/secrets',
      'org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface',
      member,
      [...args],
    ),
  })),
];

const exfiltration: Attack[] = [
  {
    what: 'BlueZ OBEX ObjectPush1.SendFile sends any file the user can read (~/.ssh/id_ed25519) to a nearby device',
    ref: 'bluez doc/org.bluez.obex.ObjectPush.rst: SendFile(s sourcefile) on an OBEX session of org.bluez.obex (session bus)',
    req: call(
      'session',
      'org.bluez.obex',
      '/org/bluez/obex/client/session0',
      'org.bluez.obex.ObjectPush1',
      'SendFile',
      ['/home/user/.ssh/id_ed25519'],
    ),
  },
  {
    what: 'BlueZ OBEX FileTransfer1.PutFile (the same through the FTP profile)',
    ref: 'bluez doc/org.bluez.obex.FileTransfer.rst: PutFile(s sourcefile, s targetfile)',
    req: call(
      'session',
      'org.bluez.obex',
      '/org/bluez/obex/client/session0',
      'org.bluez.obex.FileTransfer1',
      'PutFile',
      ['/home/user/.ssh/id_ed25519', 'id'],
    ),
  },
];

const words: Attack[] = (
  [
    ['GetPassword', 'call at low'],
    ['get_password', 'call at low'],
    ['GetAccessToken', 'call at low'],
    ['GetToken', 'call at low'],
    ['GetCredentials', 'call at low'],
    ['LookupPassword', 'call at low'],
    ['ReadSecret', 'call at low'],
    ['RetrieveToken', 'call at low'],
    ['ExportPrivateKey', 'call at low'],
    ['GetPrivateKey', 'call at low'],
    ['GetApiKey', 'a read at high: "key" is not a sensitive word'],
    ['GetSshKey', 'a read at high'],
    ['DumpSecrets', 'call at low'],
  ] as const
).map(([member, today]): Attack => ({
  what: `a secret-bearing member on an unknown interface (today: ${today})`,
  ref: 'issue 12 §4 "any member whose name reads a password, secret, token, credential or private key"',
  req: call('session', 'com.example.Vault', '/com/example/Vault', 'com.example.Vault', member, [
    'github.com',
  ]),
}));

const refused: Attack[] = [
  {
    what: 'Secret Service GetSecrets',
    ref: 'freedesktop Secret Service API',
    req: call(
      'session',
      'org.freedesktop.secrets',
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service',
      'GetSecrets',
      [['/i'], '/s'],
    ),
  },
  {
    what: 'Secret Service Item.GetSecret',
    ref: 'freedesktop Secret Service API',
    req: call(
      'session',
      'org.freedesktop.secrets',
      '/org/freedesktop/secrets/collection/login/1',
      'org.freedesktop.Secret.Item',
      'GetSecret',
      ['/s'],
    ),
  },
  {
    what: 'KWallet as Secret Service (kwalletd5 implements it too)',
    ref: 'org.freedesktop.Secret.Service in /usr/bin/kwalletd5 (Debian 12)',
    req: call(
      'session',
      'org.kde.kwalletd5',
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service',
      'GetSecrets',
      [['/i'], '/s'],
    ),
  },
  {
    what: 'portal Secret.RetrieveSecret',
    ref: 'xdg-desktop-portal org.freedesktop.portal.Secret',
    req: call(
      'session',
      'org.freedesktop.portal.Desktop',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.portal.Secret',
      'RetrieveSecret',
      [0, {}],
    ),
  },
  {
    what: 'portal backend Secret.RetrieveSecret (gnome-keyring implements it)',
    ref: 'gnome-keyring org.freedesktop.impl.portal.Secret',
    req: call(
      'session',
      'org.gnome.keyring.SystemPrompter',
      '/org/freedesktop/portal/desktop',
      'org.freedesktop.impl.portal.Secret',
      'RetrieveSecret',
      ['/h', 'app', 0, {}],
    ),
  },
  {
    what: 'NetworkManager connection GetSecrets',
    ref: 'NetworkManager org.freedesktop.NetworkManager.Settings.Connection',
    req: call(
      'system',
      'org.freedesktop.NetworkManager',
      '/org/freedesktop/NetworkManager/Settings/1',
      'org.freedesktop.NetworkManager.Settings.Connection',
      'GetSecrets',
      ['802-11-wireless-security'],
    ),
  },
  {
    what: 'a NetworkManager secret agent asked directly (nm-applet, gnome-shell)',
    ref: 'NetworkManager org.freedesktop.NetworkManager.SecretAgent.GetSecrets',
    req: call(
      'system',
      ':1.77',
      '/org/freedesktop/NetworkManager/SecretAgent',
      'org.freedesktop.NetworkManager.SecretAgent',
      'GetSecrets',
      [{}, '/org/freedesktop/NetworkManager/Settings/1', '802-11-wireless-security', [], 0],
    ),
  },
  {
    what: 'UDisks2 GetSecretConfiguration (crypttab passphrases)',
    ref: 'udisks org.freedesktop.UDisks2.Block.GetSecretConfiguration',
    req: call(
      'system',
      'org.freedesktop.UDisks2',
      '/org/freedesktop/UDisks2/block_devices/sda1',
      'org.freedesktop.UDisks2.Block',
      'GetSecretConfiguration',
      [{}],
    ),
  },
];

const legitimate: Legitimate[] = [
  {
    what: 'searching Secret Service items (paths, no secrets)',
    req: call(
      'session',
      'org.freedesktop.secrets',
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service',
      'SearchItems',
      [{ app: 'x' }],
    ),
    level: 'high',
    kind: 'read',
  },
  {
    what: 'reading an online account identity property',
    req: {
      bus: 'session',
      destination: 'org.gnome.OnlineAccounts',
      path: '/org/gnome/OnlineAccounts/Accounts/account_1',
      interface: 'org.gnome.OnlineAccounts.Account',
      member: 'Identity',
      access: 'get',
    },
    level: 'high',
    kind: 'read',
  },
];

describe('redteam: secrets — bypasses found by the red team (refused now; todo while a class is open)', () => {
  describe('wallets, account stores, credential caches', () => forbiddenEverywhere(wallets));
  describe('secret-bearing member names on unknown interfaces', () => forbiddenEverywhere(words));
  describe('files with secrets sent off the machine', () => forbiddenEverywhere(exfiltration));
});

describe('redteam: secrets — refused today (regression guards)', () => forbiddenEverywhere(refused));

describe('redteam: secrets — what a fix must not break', () => stillAllowed(legitimate));
