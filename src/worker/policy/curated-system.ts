import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';
import { SYSTEMD_INTERFACES } from './units-curated.js';
import { SYSTEMD_DAEMON_INTERFACES } from './units-daemons.js';

/**
 * Curated knowledge of the system services: logind, systemd and UPower (NetworkManager, PackageKit,
 * UDisks2, accounts, polkit and Flatpak are in curated-admin.ts, the bus driver in curated-bus.ts). Members not listed are judged by
 * each entry's `unknown` rule; forbidden members carry the reason shown to the agent.
 */

const LOGIND_POWER =
  'PowerOff PowerOffWithFlags Reboot RebootWithFlags Halt HaltWithFlags Suspend SuspendWithFlags Hibernate ' +
  'HibernateWithFlags HybridSleep HybridSleepWithFlags SuspendThenHibernate SuspendThenHibernateWithFlags Sleep ' +
  'ScheduleShutdown SetRebootParameter SetRebootToFirmwareSetup SetRebootToBootLoaderMenu SetRebootToBootLoaderEntry';

/**
 * Ending sessions: the session scope and the user's slice, which systemd itself may not be asked to
 * stop. Releasing a session ends it too (logind stops or abandons its scope and forgets it).
 */
const LOGIND_END_SESSIONS =
  'KillSession KillUser TerminateSession TerminateUser TerminateSeat ReleaseSession';
const END_SESSIONS =
  'ends login sessions (their scopes and the user’s slice; the session itself is never changed)';
/** Lingering is whether a user's service manager (user@UID.service, a protected unit) runs without a session. */
const LINGER =
  'starts or stops a user’s service manager (user@UID.service, a protected unit): lingering is changed by the administrator';
/**
 * The session controller (the compositor) holds the session's input and display devices; taking
 * control, forced or not, takes them from it, and TakeDevice hands out raw device fds (a keylogger, an injector).
 */
const SESSION_DEVICES = 'TakeControl TakeDevice';
const DEVICES =
  'input injection: takes the session’s raw input and display devices (the compositor’s, as session controller)';

export const SYSTEM_INTERFACES: CuratedInterface[] = [
  {
    name: 'org.freedesktop.login1.Manager',
    methods: {
      ...m(
        'read',
        'GetSession GetSessionByPID GetUser GetUserByPID GetSeat ListSessions ListSessionsEx ListUsers ListSeats ' +
          'ListInhibitors CanPowerOff CanReboot CanHalt CanSuspend CanHibernate CanHybridSleep CanSuspendThenHibernate ' +
          'CanSleep CanRebootParameter CanRebootToFirmwareSetup CanRebootToBootLoaderMenu CanRebootToBootLoaderEntry',
      ),
      ...m(
        'system_change',
        'CancelScheduledShutdown SetWallMessage Inhibit LockSession UnlockSession LockSessions UnlockSessions ' +
          'ActivateSession ActivateSessionOnSeat AttachDevice FlushDevices CreateSession CreateSessionWithPIDFD',
      ),
      ...m('forbidden', `${LOGIND_POWER} ${LOGIND_END_SESSIONS} SetUserLinger`),
    },
    forbiddenReason: 'power operation (logind)',
    forbiddenReasons: {
      ...Object.fromEntries(LOGIND_END_SESSIONS.split(' ').map((n) => [n, END_SESSIONS])),
      SetUserLinger: LINGER,
    },
    writeDefault: 'system_change',
    unknown: 'heuristic',
  },
  {
    name: 'org.freedesktop.login1.*',
    methods: {
      ...m(
        'system_change',
        'Activate Lock Unlock SetIdleHint SetLockedHint ReleaseControl ' +
          'ReleaseDevice PauseDeviceComplete SetBrightness SetType SetDisplay SetClass ActivateSession SwitchTo ' +
          'SwitchToNext SwitchToPrevious',
      ),
      ...m('forbidden', `Terminate Kill ${SESSION_DEVICES}`),
    },
    forbiddenReason: END_SESSIONS,
    forbiddenReasons: Object.fromEntries(SESSION_DEVICES.split(' ').map((n) => [n, DEVICES])),
    writeDefault: 'system_change',
    unknown: 'heuristic',
  },
  ...SYSTEMD_INTERFACES,
  ...SYSTEMD_DAEMON_INTERFACES,
  {
    name: 'org.freedesktop.UPower*',
    methods: {
      ...m(
        'read',
        'EnumerateDevices EnumerateKbdBacklights GetDisplayDevice GetCriticalAction GetHistory GetStatistics ' +
          'Refresh GetBrightness GetMaxBrightness SuspendAllowed HibernateAllowed',
      ),
      ...m('system_change', 'SetBrightness EnableChargeThreshold'),
      ...m('forbidden', 'Suspend Hibernate AboutToSleep'),
    },
    forbiddenReason: 'power operation (UPower)',
    writeDefault: 'system_change',
    unknown: 'heuristic',
  },
];
