// Mostly data: the session managers of every desktop, and the freedesktop power interfaces.
import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/**
 * Session managers and power managers, curated completely: a session manager's `Restart`,
 * `Logout`, `closeSession`, `quit` end the session or the machine, so anything such an interface
 * does that is not listed is refused unless its name only asks (`read-or-forbidden`). Interfaces
 * of the same kind that no entry names are recognised by name (families.ts). Sources: the
 * interface XML and adaptors of gnome-session, cinnamon-session, mate-session-manager,
 * xfce4-session, ksmserver/plasma-workspace, lxqt-session, powerdevil, budgie-desktop, ConsoleKit2.
 */

const POWER = 'power operation (session manager: ends the session or powers off, reboots, suspends)';

/** gnome-session's interface, also served by cinnamon-session and mate-session-manager. */
const GSM = {
  ...m(
    'read',
    'GetLocale IsInhibited GetClients GetInhibitors IsAutostartConditionHandled CanShutdown CanReboot CanSuspend ' +
      'CanRebootToFirmwareSetup IsSessionRunning',
  ),
  ...m(
    'call',
    'RegisterClient UnregisterClient RegisterRestore UnregisterRestore DeletedInstanceIds Inhibit Uninhibit ' +
      'Initialized RestartCinnamonLauncher',
  ),
  ...m(
    'forbidden',
    'Shutdown Reboot Suspend Hibernate Logout RequestShutdown RequestReboot SetRebootToFirmwareSetup ' +
      'InitializationError Setenv',
  ),
};
/** The per-client, inhibitor and presence objects of gnome-session and its forks. */
const GSM_PARTS = {
  ...m(
    'read',
    'GetAppId GetStartupId GetRestartStyleHint GetUnixProcessId GetStatus GetPhase GetClientId GetReason GetFlags ' +
      'GetToplevelXid',
  ),
  ...m('call', 'Stop SetStatus SetStatusText EndSessionResponse Close'),
  // The end-session dialog counts down and then logs out, reboots or powers off on its own.
  ...m('forbidden', 'Open'),
};

const gsm = (prefix: string): CuratedInterface[] => [
  { name: prefix, methods: GSM, forbiddenReason: POWER, unknown: 'read-or-forbidden' },
  { name: `${prefix}.*`, methods: GSM_PARTS, forbiddenReason: POWER, unknown: 'read-or-forbidden' },
];

export const SESSION_MANAGER_INTERFACES: CuratedInterface[] = [
  ...gsm('org.gnome.SessionManager'),
  ...gsm('org.mate.SessionManager'),
  ...gsm('org.cinnamon.SessionManager'),
  {
    name: 'org.cinnamon.SessionManager.EndSessionDialog',
    methods: {
      ...m('read', 'GetCapabilities'),
      ...m('call', 'Cancel IgnoreInhibitors'),
      ...m('forbidden', 'Suspend Hibernate Restart Shutdown SwitchUser Logout Open'),
    },
    forbiddenReason: POWER,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.budgie_desktop.Session.EndSessionDialog',
    methods: { ...m('call', 'Close'), ...m('forbidden', 'Open') },
    forbiddenReason: POWER,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.buddiesofbudgie.PowerDialog',
    methods: m('desktop_action', 'Toggle'),
    forbiddenReason: POWER,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.xfce.Session.Manager',
    methods: {
      ...m(
        'read',
        'GetInfo ListClients GetState CanShutdown CanRestart CanSuspend CanHibernate CanHybridSleep IsInhibited',
      ),
      ...m('call', 'Checkpoint RegisterClient UnregisterClient Inhibit Uninhibit Lock SwitchUser'),
      ...m('forbidden', 'Logout Shutdown Restart Suspend Hibernate HybridSleep'),
    },
    forbiddenReason: POWER,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.xfce.Session.*',
    methods: {
      ...m('read', 'GetID GetState GetAllSmProperties GetSmProperties'),
      ...m('call', 'SetSmProperties DeleteSmProperties EndSessionResponse Terminate'),
    },
    forbiddenReason: POWER,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.kde.KSMServerInterface',
    methods: {
      ...m('read', 'isShuttingDown sessionList currentSession canShutdown'),
      ...m(
        'call',
        'saveCurrentSession saveCurrentSessionAs restoreSession resetLogout suspendStartup resumeStartup wmChanged ' +
          'openSwitchUserDialog',
      ),
      // Plasma 5: logout(confirm, type, mode); Plasma 6: closeSession ends the session.
      ...m('forbidden', 'logout closeSession'),
    },
    forbiddenReason: POWER,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.kde.Shutdown',
    methods: { ...m('call', 'saveSession'), ...m('forbidden', 'logout logoutAndShutdown logoutAndReboot') },
    forbiddenReason: POWER,
    unknown: 'forbidden',
  },
  {
    // The logout greeter counts down and then acts on its own.
    name: 'org.kde.LogoutPrompt',
    methods: m('forbidden', 'promptLogout promptShutDown promptReboot promptAll'),
    forbiddenReason: POWER,
    unknown: 'forbidden',
  },
  {
    name: 'org.kde.KWin.Session',
    methods: {
      ...m('call', 'setState loadSession aboutToSaveSession finishSaveSession'),
      ...m('forbidden', 'quit closeWaylandWindows'),
    },
    forbiddenReason: POWER,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.lxqt.session',
    methods: {
      ...m('read', 'canLogout canReboot canPowerOff listModules'),
      ...m('call', 'startModule stopModule'),
      ...m('forbidden', 'logout reboot powerOff execDesktopFile'),
    },
    forbiddenReason:
      'power operation or code execution (LXQt session: execDesktopFile runs any .desktop file)',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.freedesktop.ConsoleKit.Manager',
    methods: {
      ...m(
        'read',
        'CanStop CanRestart CanSuspend CanHibernate CanHybridSleep CanSuspendThenHibernate CanPowerOff CanReboot ' +
          'GetSeats GetSessions GetSessionForCookie GetSessionForUnixProcess GetCurrentSession GetSessionsForUnixUser ' +
          'GetSessionsForUser GetSystemIdleHint GetSystemIdleSinceHint ListInhibitors',
      ),
      ...m('call', 'Inhibit OpenSession OpenSessionWithParameters'),
      ...m(
        'forbidden',
        'Stop Restart PowerOff Reboot Suspend Hibernate HybridSleep SuspendThenHibernate CloseSession',
      ),
    },
    forbiddenReason: 'power operation (ConsoleKit: Stop powers off, Restart reboots)',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.freedesktop.ConsoleKit.*',
    methods: m('call', 'Lock Unlock Activate SetIdleHint SetLockedHint'),
    forbiddenReason: 'power operation (ConsoleKit)',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.freedesktop.PowerManagement*',
    methods: {
      ...m(
        'read',
        'CanSuspend CanHibernate CanHybridSuspend CanSuspendThenHibernate CanShutdown CanReboot GetPowerSaveStatus ' +
          'HasInhibit GetOnBattery GetLowBattery',
      ),
      ...m('call', 'Inhibit UnInhibit'),
    },
    forbiddenReason: 'power operation',
    unknown: 'forbidden',
  },
  {
    name: 'org.kde.Solid.PowerManagement.Actions.SuspendSession',
    methods: m('forbidden', 'suspendToRam suspendToDisk suspendHybrid'),
    forbiddenReason: 'power operation (KDE PowerDevil)',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.kde.Solid.PowerManagement*',
    methods: m(
      'read',
      'currentProfile batteryRemainingTime smoothedBatteryRemainingTime isLidClosed isLidPresent isActionSupported ' +
        'hasDualGpu isBatteryConservationModeEnabled chargeStartThreshold chargeStopThreshold backendCapabilities ' +
        'getSupportedSuspendMethods brightness brightnessMax brightnessMin brightnessSteps knownSafeBrightnessMin ' +
        'keyboardBrightness keyboardBrightnessMax keyboardBrightnessSteps lidAction triggersLidAction ' +
        'configuredProfile profileChoices performanceInhibitedReason performanceDegradedReason profileHolds ' +
        'HasInhibition ListInhibitions',
    ),
    forbiddenReason: 'power operation (KDE PowerDevil)',
    unknown: 'mutating',
  },
];
