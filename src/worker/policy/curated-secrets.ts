// Mostly data: stores and brokers of secrets — KWallet, GNOME Online Accounts, password prompts.
import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/**
 * Secret stores and brokers (kwallet's org.kde.KWallet.xml, gnome-online-accounts'
 * dbus-interfaces.xml, gnome-shell's MountOperationHandler, goaidentity). Reading an entry, a
 * password, a token or a ticket is secret retrieval, forbidden at every level; writing a
 * password is an account change; listing names of folders and entries stays a read. The Secret
 * Service, portal secrets and NetworkManager are in curated.ts and curated-system.ts; agents and
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
    // The shell's password dialog for mounts: AskPassword hands back what the user typed.
    name: 'org.Gtk.MountOperationHandler',
    methods: { ...m('call', 'AskQuestion ShowProcesses Close'), ...m('forbidden', 'AskPassword') },
    forbiddenReason: 'secret retrieval (asks the user for a password and returns it)',
    unknown: 'forbidden',
  },
];
