import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';
import { SYSTEMD_INTERFACES } from './units-curated.js';

/**
 * Curated knowledge of the system services: logind, systemd and UPower (NetworkManager, PackageKit,
 * UDisks2, accounts, polkit and Flatpak are in curated-admin.ts, the bus driver in curated-bus.ts). Members not listed are judged by
 * each entry's `unknown` rule; forbidden members carry the reason shown to the agent.
 */

const LOGIND_POWER =
  'PowerOff PowerOffWithFlags Reboot RebootWithFlags Halt HaltWithFlags Suspend SuspendWithFlags Hibernate ' +
  'HibernateWithFlags HybridSleep HybridSleepWithFlags SuspendThenHibernate SuspendThenHibernateWithFlags Sleep ' +
  'ScheduleShutdown SetRebootParameter SetRebootToFirmwareSetup SetRebootToBootLoaderMenu SetRebootToBootLoaderEntry';

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
        'CancelScheduledShutdown SetWallMessage ' +
          'Inhibit LockSession UnlockSession LockSessions UnlockSessions ActivateSession ActivateSessionOnSeat ' +
          'AttachDevice FlushDevices SetUserLinger CreateSession CreateSessionWithPIDFD ReleaseSession',
      ),
      ...m('forbidden', LOGIND_POWER),
      // Ending or killing a session or a user's processes logs the user out.
      ...m('forbidden', 'KillSession KillUser TerminateSession TerminateUser TerminateSeat'),
    },
    forbiddenReason: 'power operation (logind: power, sleep, or ending sessions)',
    writeDefault: 'system_change',
    unknown: 'heuristic',
  },
  {
    name: 'org.freedesktop.login1.*',
    methods: {
      ...m('forbidden', 'Terminate Kill'),
      ...m(
        'system_change',
        'Activate Lock Unlock SetIdleHint SetLockedHint TakeControl ReleaseControl TakeDevice ' +
          'ReleaseDevice PauseDeviceComplete SetBrightness SetType SetDisplay SetClass ActivateSession SwitchTo ' +
          'SwitchToNext SwitchToPrevious',
      ),
    },
    forbiddenReason: 'power operation (logind: ending a session or a user logs out)',
    writeDefault: 'system_change',
    unknown: 'heuristic',
  },
  ...SYSTEMD_INTERFACES,
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
