// Mostly data: the curated interfaces of the session bus, one entry each.
import type { OperationKind } from './levels.js';

/**
 * Curated knowledge of well-known interfaces. An entry names an interface exactly or by prefix
 * (`org.mpris.MediaPlayer2*`); interface names are compared case-insensitively so a look-alike
 * spelling never escapes its entry. Members are compared exactly (D-Bus is case-sensitive);
 * a member an entry does not list is judged by `unknown`, after a look-alike check against the
 * entry's forbidden members.
 */
export interface CuratedInterface {
  name: string;
  methods: Record<string, OperationKind>;
  /** Shown to the agent when a member of this entry is forbidden. */
  forbiddenReason?: string;
  /** A reason of its own for some forbidden members (or property writes), by name. */
  forbiddenReasons?: Record<string, string>;
  /** Kind of a property write, by property name. */
  writes?: Record<string, OperationKind>;
  /** Kind of a write to a property `writes` does not list. */
  writeDefault?: OperationKind;
  /**
   * Unlisted members: `heuristic` = name heuristics, `mutating` = a call, `forbidden` = refused,
   * `read-or-forbidden` = a read when the name only asks (`CanRestart`, `GetState`), else refused
   * (session managers, terminals: whatever else they do ends the session or runs a program).
   */
  unknown: 'heuristic' | 'mutating' | 'forbidden' | 'read-or-forbidden';
  /** Properties that hold secrets: reading one (or GetAll of the interface) is secret retrieval. */
  secretProperties?: string[];
  /** A terminal emulator's own interface (its listed calls stand; see families.ts for the rest of it). */
  terminal?: boolean;
  /** Members whose arguments name systemd units (checked against the protected units). */
  unitArgs?: string[];
  /** The object path names a systemd unit (checked against the protected units). */
  unitPath?: boolean;
}

/** `members('read', 'A B C')` → `{ A: 'read', B: 'read', C: 'read' }`. */
export function members(kind: OperationKind, names: string): Record<string, OperationKind> {
  const out: Record<string, OperationKind> = {};
  for (const n of names.split(/\s+/)) if (n) out[n] = kind;
  return out;
}
const m = members;

export const SESSION_INTERFACES: CuratedInterface[] = [
  {
    name: 'org.freedesktop.Notifications',
    methods: {
      ...m('read', 'GetCapabilities GetServerInformation'),
      ...m('notify', 'Notify CloseNotification'),
    },
    unknown: 'heuristic',
  },
  {
    name: 'org.mpris.MediaPlayer2*',
    methods: {
      ...m('read', 'GetTracksMetadata GetPlaylists'),
      ...m(
        'media',
        'Play Pause PlayPause Next Previous Stop Seek SetPosition OpenUri ActivatePlaylist AddTrack RemoveTrack GoTo',
      ),
      ...m('desktop_action', 'Raise'),
      ...m('call', 'Quit'),
    },
    writeDefault: 'media',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.Secret.*',
    methods: {
      ...m('read', 'SearchItems ReadAlias'),
      ...m(
        'call',
        'OpenSession Unlock Lock CreateCollection SetAlias Delete CreateItem SetSecret Prompt Dismiss',
      ),
      ...m('forbidden', 'GetSecrets GetSecret'),
    },
    forbiddenReason: 'secret retrieval (Secret Service)',
    unknown: 'mutating',
  },
  {
    name: 'org.gnome.keyring*',
    methods: {},
    forbiddenReason: 'keyring administration',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.portal.Flatpak',
    methods: { ...m('call', 'CreateUpdateMonitor'), ...m('forbidden', 'Spawn SpawnSignal') },
    forbiddenReason: 'arbitrary code execution (Flatpak Spawn)',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.portal.*',
    methods: {
      ...m('read', 'Read ReadAll ReadOne SchemeSupported GetUserInformation'),
      ...m(
        'desktop_action',
        'OpenURI OpenFile OpenDirectory ComposeEmail SetWallpaperURI SetWallpaperFile Inhibit',
      ),
      ...m('screenshot', 'Screenshot PickColor CreateSession SelectSources Start OpenPipeWireRemote'),
      ...m('notify', 'AddNotification RemoveNotification'),
      ...m('clipboard_read', 'SelectionRead'),
      ...m('clipboard_write', 'RequestClipboard SetSelection SelectionWrite SelectionWriteDone'),
      ...m('call', 'TrashFile Close'),
      ...m('forbidden', 'RetrieveSecret'),
    },
    forbiddenReason: 'secret retrieval (portal)',
    unknown: 'heuristic',
  },
  {
    name: 'org.kde.klipper*',
    methods: {
      ...m('clipboard_read', 'getClipboardContents getClipboardHistoryItem getClipboardHistoryMenu'),
      ...m('clipboard_write', 'setClipboardContents clearClipboardContents clearClipboardHistory'),
      ...m('desktop_action', 'showKlipperPopupMenu showKlipperManuallyInvokeActionMenu'),
      ...m('call', 'saveClipboardHistory'),
    },
    writeDefault: 'clipboard_write',
    unknown: 'mutating',
  },
  {
    // GNOME's clipboard manager: its history is clipboard content, never a plain read.
    name: 'org.gnome.GPaste*',
    methods: {
      ...m(
        'clipboard_read',
        'GetElement GetElementAtIndex GetElements GetHistory GetRawElement GetRawHistory Search GetElementKind',
      ),
      ...m('clipboard_write', 'Add AddFile AddPassword Select Replace Delete Empty Merge'),
    },
    writeDefault: 'clipboard_write',
    unknown: 'mutating',
  },
  {
    name: 'org.kde.KWin.ScreenShot2',
    methods: m(
      'screenshot',
      'CaptureActiveWindow CaptureWindow CaptureArea CaptureScreen CaptureActiveScreen CaptureInteractive CaptureWorkspace',
    ),
    unknown: 'mutating',
  },
  {
    name: 'org.kde.kwin.Screenshot',
    methods: m(
      'screenshot',
      'screenshotFullscreen screenshotForWindow screenshotArea screenshotScreen interactive screenshotWindowUnderCursor',
    ),
    unknown: 'mutating',
  },
  {
    name: 'org.kde.KWin*',
    methods: {
      ...m('read', 'currentDesktop supportInformation activeOutputName getWindowInfo queryWindowInfo'),
      ...m('desktop_action', 'setCurrentDesktop nextDesktop previousDesktop'),
      ...m('call', 'reconfigure killWindow showDebugConsole'),
    },
    writeDefault: 'desktop_action',
    unknown: 'mutating',
  },
  {
    name: 'org.gnome.Shell.Screenshot',
    methods: m('screenshot', 'Screenshot ScreenshotWindow ScreenshotArea PickColor FlashArea SelectArea'),
    unknown: 'mutating',
  },
  {
    name: 'org.gnome.Shell.Extensions',
    methods: {
      ...m('read', 'ListExtensions GetExtensionInfo GetExtensionErrors'),
      ...m('call', 'UninstallExtension EnableExtension DisableExtension ReloadExtension CheckForUpdates'),
      ...m('desktop_action', 'LaunchExtensionPrefs OpenExtensionPrefs'),
      ...m('forbidden', 'InstallRemoteExtension'),
    },
    forbiddenReason: 'installs code into the shell',
    unknown: 'mutating',
  },
  {
    name: 'org.gnome.Shell*',
    methods: {
      ...m('read', 'GetRunningApplications GetWindows'),
      ...m(
        'desktop_action',
        'FocusSearch ShowOSD ShowMonitorLabels HideMonitorLabels FocusApp ShowApplications',
      ),
      ...m('call', 'GrabAccelerator GrabAccelerators UngrabAccelerator UngrabAccelerators ScreenTransition'),
      ...m('forbidden', 'Eval'),
    },
    forbiddenReason: 'arbitrary code execution (GNOME Shell Eval)',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.ScreenSaver',
    methods: {
      ...m('read', 'GetActive GetActiveTime GetSessionIdleTime'),
      ...m('desktop_action', 'Lock SetActive'),
      ...m('call', 'Inhibit UnInhibit SimulateUserActivity Throttle UnThrottle'),
    },
    unknown: 'mutating',
  },
];

/**
 * Well-known service names and the interface prefixes that belong to them: a call to one of
 * these services (directly or through its unique name) on an interface curated knowledge does
 * not know is judged conservatively, never by name heuristics.
 */
export const CURATED_SERVICES: Record<string, string> = {
  'org.freedesktop.login1': 'org.freedesktop.login1',
  'org.freedesktop.systemd1': 'org.freedesktop.systemd1',
  'org.freedesktop.UPower': 'org.freedesktop.UPower',
  'org.freedesktop.NetworkManager': 'org.freedesktop.NetworkManager',
  'org.freedesktop.secrets': 'org.freedesktop.Secret',
  'org.freedesktop.PackageKit': 'org.freedesktop.PackageKit',
  'org.freedesktop.UDisks2': 'org.freedesktop.UDisks2',
  'org.freedesktop.Accounts': 'org.freedesktop.Accounts',
  'org.freedesktop.PolicyKit1': 'org.freedesktop.PolicyKit1',
  'org.freedesktop.Flatpak': 'org.freedesktop.Flatpak',
  'org.freedesktop.portal.Flatpak': 'org.freedesktop.portal.Flatpak',
  'org.freedesktop.portal.Desktop': 'org.freedesktop.portal',
  'org.freedesktop.Notifications': 'org.freedesktop.Notifications',
  'org.gnome.Shell': 'org.gnome.Shell',
  'org.gnome.SessionManager': 'org.gnome.SessionManager',
  'org.xfce.SessionManager': 'org.xfce.Session',
  'org.mate.SessionManager': 'org.mate.SessionManager',
  'org.cinnamon.SessionManager': 'org.cinnamon.SessionManager',
  'org.lxqt.session': 'org.lxqt.session',
  'org.kde.ksmserver': 'org.kde.KSMServerInterface',
  'org.kde.LogoutPrompt': 'org.kde.LogoutPrompt',
  'org.kde.kwalletd5': 'org.kde.KWallet',
  'org.kde.kwalletd6': 'org.kde.KWallet',
  'org.gnome.OnlineAccounts': 'org.gnome.OnlineAccounts',
  'org.kde.KWin': 'org.kde.KWin',
  'org.kde.klipper': 'org.kde.klipper',
  'org.gnome.GPaste': 'org.gnome.GPaste',
  'org.kde.Shutdown': 'org.kde.Shutdown',
  'org.freedesktop.DBus': 'org.freedesktop.DBus',
  'org.freedesktop.ConsoleKit': 'org.freedesktop.ConsoleKit',
};
