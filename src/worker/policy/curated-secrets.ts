// Mostly data: stores and brokers of secrets — KWallet, GNOME Online Accounts, password prompts.
import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/**
 * Secret stores and brokers (kwallet's org.kde.KWallet.xml, gnome-online-accounts'
 * dbus-interfaces.xml, gnome-shell's MountOperationHandler, goaidentity). Reading an entry, a
 * password, a token or a ticket is secret retrieval, forbidden at every level; writing a
 * password is an account change; listing names of folders and entries stays a read. The Secret
 * Service, portal secrets and NetworkManager are in curated.ts and curated-admin.ts; agents and
 * prompters of every daemon are a family (families.ts).
 */

const KWALLET = 'secret retrieval (KWallet entries and passwords)';

export const SECRET_INTERFACES: CuratedInterface[] = [
  {
    name: 'org.kde.KWallet*',
    methods: {
      ...m(
        'read',
        'isEnabled isOpen wallets folderList hasFolder entryList hasEntry entryType users localWallet networkWallet ' +
          'folderDoesNotExist keyDoesNotExist',
      ),
      ...m(
        'call',
        'open openPath openAsync openPathAsync close sync deleteWallet createFolder removeFolder renameEntry ' +
          'writeEntry writeMap removeEntry disconnectApplication reconfigure closeAllWallets',
      ),
      ...m(
        'forbidden',
        'readEntry readEntryList readMap readMapList readPassword readPasswordList entriesList mapList passwordList ' +
          'writePassword changePassword pamOpen',
      ),
    },
    forbiddenReason: KWALLET,
    unknown: 'forbidden',
  },
  {
    name: 'org.gnome.OnlineAccounts.OAuth2Based',
    methods: m('forbidden', 'GetAccessToken'),
    secretProperties: ['ClientSecret'],
    forbiddenReason: 'secret retrieval (GNOME Online Accounts tokens)',
    unknown: 'forbidden',
  },
  {
    name: 'org.gnome.OnlineAccounts.OAuthBased',
    methods: m('forbidden', 'GetAccessToken'),
    secretProperties: ['ConsumerSecret', 'ConsumerKey'],
    forbiddenReason: 'secret retrieval (GNOME Online Accounts tokens)',
    unknown: 'forbidden',
  },
  {
    name: 'org.gnome.OnlineAccounts*',
    methods: {
      ...m('read', 'IsSupportedProvider'),
      ...m('call', 'Remove EnsureCredentials AddAccount'),
      ...m('forbidden', 'GetAccessToken GetPassword GetTicket'),
    },
    forbiddenReason: 'secret retrieval (GNOME Online Accounts passwords, tokens, tickets)',
    unknown: 'mutating',
  },
  {
    name: 'org.gnome.Identity*',
    methods: { ...m('call', 'SignIn SignOut'), ...m('forbidden', 'ExchangeSecretKeys') },
    forbiddenReason: 'secret retrieval (Kerberos identity keys)',
    unknown: 'mutating',
  },
  {
    // signond (Ubuntu Online Accounts, KDE Accounts): process() answers with the stored secret or token.
    name: 'com.google.code.AccountsSSO.SingleSignOn*',
    methods: {
      ...m(
        'read',
        'queryMethods queryMechanisms queryIdentities queryAvailableMechanisms getInfo getIdentity ' +
          'getAuthSessionObjectPath',
      ),
      ...m(
        'call',
        'cancel setId clear signOut remove addReference removeReference store registerNewIdentity',
      ),
      ...m('forbidden', 'process requestCredentialsUpdate verifySecret verifyUser'),
    },
    forbiddenReason: 'secret retrieval (signond hands out stored passwords and tokens)',
    unknown: 'read-or-forbidden',
  },
  {
    // KIO's password cache: checkAuthInfo and queryAuthInfo return the login cached for a URL.
    name: 'org.kde.KPasswdServer',
    methods: m('call', 'addAuthInfo removeAuthInfo'),
    forbiddenReason: 'secret retrieval (KIO password cache)',
    unknown: 'forbidden',
  },
  {
    // KDE's cookie jar: cookies are session tokens.
    name: 'org.kde.KCookieServer',
    methods: {
      ...m('read', 'findDomains getDomainAdvice'),
      ...m(
        'call',
        'addCookies addDOMCookies deleteCookie deleteCookiesFromDomain deleteSessionCookies ' +
          'deleteSessionCookiesFor deleteAllCookies setDomainAdvice reloadPolicy',
      ),
    },
    forbiddenReason: 'secret retrieval (cookies are session tokens)',
    unknown: 'forbidden',
  },
  {
    // gnome-keyring's private interface for its own tools: master passwords pass in the clear.
    name: 'org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface',
    methods: {},
    forbiddenReason:
      'secret retrieval (gnome-keyring internals: master passwords, unlocking without a prompt)',
    unknown: 'forbidden',
  },
  {
    name: 'org.gnome.keyring*',
    methods: m('read', 'GetEnvironment GetControlDirectory'),
    forbiddenReason: 'keyring administration',
    unknown: 'read-or-forbidden',
  },
  {
    // Telepathy accounts: Parameters holds the account's password; UpdateParameters writes it.
    name: 'org.freedesktop.Telepathy.Account',
    methods: m('call', 'Remove Reconnect'),
    secretProperties: ['Parameters'],
    forbiddenReason: 'secret retrieval (Telepathy account parameters hold the password)',
    unknown: 'read-or-forbidden',
  },
  {
    // BlueZ OBEX: SendFile/PutFile send any file the user can read to a nearby device; GetFile and
    // the Pull* members write wherever they are told.
    name: 'org.bluez.obex*',
    methods: {
      ...m('read', 'ListFolder GetCapabilities ListFilterFields GetSize'),
      ...m('call', 'CreateSession RemoveSession ChangeFolder CreateFolder Cancel Suspend Resume Select'),
      ...m(
        'forbidden',
        'SendFile PutFile PushMessage ExchangeBusinessCards GetFile PullBusinessCard PullAll Pull CopyFile MoveFile ' +
          'Delete RegisterAgent UnregisterAgent',
      ),
    },
    forbiddenReason:
      'secret retrieval by exfiltration (OBEX sends files away and writes received ones anywhere)',
    unknown: 'read-or-forbidden',
  },
  {
    // KDE Connect sends files and URLs to the phone (and opens them there).
    name: 'org.kde.kdeconnect.device.share',
    methods: m('call', 'shareText'),
    forbiddenReason: 'secret retrieval by exfiltration (sends files the user can read to another device)',
    unknown: 'forbidden',
  },
  {
    // The shell's password dialog for mounts: AskPassword hands back what the user typed.
    name: 'org.Gtk.MountOperationHandler',
    methods: { ...m('call', 'AskQuestion ShowProcesses Close'), ...m('forbidden', 'AskPassword') },
    forbiddenReason: 'secret retrieval (asks the user for a password and returns it)',
    unknown: 'forbidden',
  },
];
