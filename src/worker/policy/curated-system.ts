import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';
import { SYSTEMD_INTERFACES } from './units-curated.js';
import { SYSTEMD_DAEMON_INTERFACES } from './units-daemons.js';

/**
 * Curated knowledge of the system services: logind, systemd, UPower, NetworkManager, PackageKit,
 * UDisks2, accounts, polkit and Flatpak (the bus driver is in curated-bus.ts). Members not listed are judged by
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
        'Activate Lock Unlock SetIdleHint SetLockedHint TakeControl ReleaseControl TakeDevice ' +
          'ReleaseDevice PauseDeviceComplete SetBrightness SetType SetDisplay SetClass ActivateSession SwitchTo ' +
          'SwitchToNext SwitchToPrevious',
      ),
      ...m('forbidden', 'Terminate Kill'),
    },
    forbiddenReason: END_SESSIONS,
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
  {
    name: 'org.freedesktop.NetworkManager*',
    methods: {
      ...m(
        'read',
        'GetDevices GetAllDevices GetDeviceByIpIface GetPermissions GetLogging CheckConnectivity GetSettings ' +
          'ListConnections GetConnectionByUuid GetAppliedConnection GetAccessPoints GetAllAccessPoints',
      ),
      ...m(
        'system_change',
        'ActivateConnection AddAndActivateConnection AddAndActivateConnection2 DeactivateConnection Sleep Enable ' +
          'SetLogging Reload CheckpointCreate CheckpointDestroy CheckpointRollback CheckpointAdjustRollbackTimeout ' +
          'Disconnect Delete Reapply AddConnection AddConnection2 AddConnectionUnsaved LoadConnections ' +
          'ReloadConnections SaveHostname Update Update2 UpdateUnsaved Save ClearSecrets RequestScan',
      ),
      ...m('forbidden', 'GetSecrets'),
    },
    forbiddenReason: 'secret retrieval (NetworkManager connection secrets)',
    writeDefault: 'system_change',
    unknown: 'heuristic',
  },
  {
    name: 'org.freedesktop.PackageKit*',
    methods: {
      ...m(
        'read',
        'CanAuthorize GetTimeSinceAction GetDaemonState GetTransactionList GetDetails GetDetailsLocal GetFilesLocal ' +
          'GetPackages SearchNames SearchDetails SearchFiles SearchGroups Resolve GetUpdates GetUpdateDetail ' +
          'GetRepoList GetFiles DependsOn RequiredBy WhatProvides GetCategories GetDistroUpgrades GetOldTransactions',
      ),
      ...m('system_change', 'CreateTransaction SetHints Cancel StateHasChanged SuggestDaemonQuit'),
    },
    forbiddenReason: 'package management (PackageKit)',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.UDisks2*',
    methods: {
      ...m('read', 'GetBlockDevices ResolveDevice CanFormat CanResize CanCheck CanRepair SmartGetAttributes'),
      ...m(
        'system_change',
        'Rescan AddConfigurationItem RemoveConfigurationItem UpdateConfigurationItem Resize SetType SetName SetFlags ' +
          'Mount Unmount SetLabel Repair Check TakeOwnership Eject PowerOff SetConfiguration SmartUpdate ' +
          'SmartSelftestStart SmartSelftestAbort SmartSetEnabled Unlock Lock ChangePassphrase SetAutoclear LoopSetup ' +
          'MDRaidCreate Start Stop SetUUID',
      ),
      ...m(
        'forbidden',
        'Format Delete CreatePartitionAndFormat SecurityEraseUnit OpenForBackup OpenForRestore OpenForBenchmark OpenDevice ' +
          'GetSecretConfiguration',
      ),
    },
    forbiddenReason: 'disk change (UDisks2 format/delete/raw device access)',
    writeDefault: 'system_change',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.Accounts*',
    methods: {
      ...m(
        'read',
        'ListCachedUsers FindUserById FindUserByName GetUsersLanguages GetPasswordExpirationPolicy',
      ),
      ...m('forbidden', 'CreateUser DeleteUser SetPassword SetPasswordMode SetAccountType'),
    },
    forbiddenReason: 'account change (passwords, users, administrator rights)',
    writeDefault: 'system_change',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.PolicyKit1*',
    methods: m('read', 'CheckAuthorization EnumerateActions EnumerateTemporaryAuthorizations'),
    forbiddenReason: 'authorization change (polkit)',
    writeDefault: 'system_change',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.Flatpak*',
    methods: m('forbidden', 'HostCommand HostCommandSignal Spawn SpawnSignal'),
    forbiddenReason: 'arbitrary code execution or package management (Flatpak)',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
];
