// Mostly data: the system's administrators that are not systemd — software, firmware, disks, accounts, polkit, networks.
import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/**
 * Package managers, firmware updaters, disks, accounts, polkit and NetworkManager, curated from
 * their interface XML (PackageKit, aptdaemon and Linux Mint's aptkit, fwupd, software-properties,
 * dnf5daemon, Flatpak, UDisks2, accountsservice, polkit, NetworkManager). What installs software
 * or firmware, adds a software source or a signing key, rewrites what is on a disk or changes who
 * may log in (and how) is forbidden at every level; what an entry does not list is refused unless
 * its name only asks (`read-or-forbidden`), so a member added tomorrow is never a plain call.
 */

const PACKAGES = 'package management (installs, removes or upgrades software, or changes its sources)';
const DISK =
  'disk change (rewrites partitions, filesystems, RAID/LVM labels or boot-time mounts: data is lost)';
const ACCOUNT = 'account change (passwords, users, administrator rights, automatic login, locking)';

/** UDisks2 calls that only mount, unmount, lock or describe: the desktop's everyday disk use. */
const UDISKS_EVERYDAY = m(
  'system_change',
  'Rescan Mount Unmount Lock Unlock Eject PowerOff SetLabel SetName Check Repair TakeOwnership SmartUpdate ' +
    'SmartSelftestStart SmartSelftestAbort SmartSetEnabled SetConfiguration SetAutoclear LoopSetup Start Stop ' +
    'EnableModule EnableModules Activate Deactivate',
);
const UDISKS_READS = m(
  'read',
  'GetBlockDevices ResolveDevice CanFormat CanResize CanCheck CanRepair SmartGetAttributes GetConfiguration',
);
/** Everything that writes a partition table, a superblock, a RAID or LVM label, fstab or crypttab. */
const UDISKS_DESTRUCTIVE = m(
  'forbidden',
  'Format Delete CreatePartition CreatePartitionAndFormat Resize SetType SetFlags SetUUID SecurityEraseUnit ' +
    'OpenForBackup OpenForRestore OpenForBenchmark OpenDevice GetSecretConfiguration AddConfigurationItem ' +
    'RemoveConfigurationItem UpdateConfigurationItem ChangePassphrase MDRaidCreate AddDevice RemoveDevice ' +
    'SetBitmapLocation RequestSyncAction VolumeGroupCreate VolumeGroupCreateWithOptions CreatePlainVolume ' +
    'CreateThinPoolVolume CreateThinVolume CreateVDOVolume EmptyDevice Rename CreateSnapshot CreateCachePool ' +
    'CacheAttach CacheSplit CacheDetach',
);

export const ADMIN_INTERFACES: CuratedInterface[] = [
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
    // A registered secret agent is sent every secret NetworkManager saves or needs.
    name: 'org.freedesktop.NetworkManager.AgentManager',
    methods: m('forbidden', 'Register RegisterWithCapabilities Unregister'),
    forbiddenReason: 'impersonation (a secret agent is handed the Wi-Fi and VPN secrets)',
    unknown: 'forbidden',
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
    // aptdaemon (Debian, Ubuntu) and its transactions: every call but reads queues or runs apt.
    name: 'org.debian.apt*',
    methods: m('read', 'GetTrustedVendorKeys Simulate'),
    forbiddenReason: `${PACKAGES}: aptdaemon`,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.aptkit*',
    methods: m('read', 'GetTrustedVendorKeys Simulate'),
    forbiddenReason: `${PACKAGES}: aptkit`,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    // software-properties: sources.list and apt's trusted keys.
    name: 'com.ubuntu.SoftwareProperties*',
    methods: {},
    forbiddenReason: `${PACKAGES}: software-properties`,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.rpm.dnf.v0*',
    methods: {
      ...m('read', 'list list_fd resolve_spec get_transaction_problems get_transaction_problems_string'),
      ...m('call', 'open_session close_session cancel'),
    },
    forbiddenReason: `${PACKAGES}: dnf5daemon`,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.freedesktop.fwupd*',
    methods: {
      ...m(
        'read',
        'GetDevices GetPlugins GetReleases GetDowngrades GetUpgrades GetDetails GetHistory GetHostSecurityAttrs ' +
          'GetHostSecurityEvents GetReportMetadata GetRemotes GetApprovedFirmware GetBlockedFirmware GetBiosSettings',
      ),
      ...m('call', 'Inhibit Uninhibit SetHints SetFeatureFlags ClearResults Verify Quit'),
      ...m(
        'forbidden',
        'Install Activate Unlock ModifyRemote ModifyConfig ResetConfig ModifyDevice SetApprovedFirmware ' +
          'SetBlockedFirmware UpdateMetadata SetBiosSettings FixHostSecurityAttr UndoHostSecurityAttr SelfSign ' +
          'VerifyUpdate EmulationLoad EmulationSave',
      ),
    },
    forbiddenReason: 'firmware change (fwupd flashes firmware and decides which firmware to trust)',
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.freedesktop.Flatpak*',
    methods: m('forbidden', 'HostCommand HostCommandSignal Spawn SpawnSignal'),
    forbiddenReason: 'arbitrary code execution or package management (Flatpak)',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.UDisks2*',
    methods: { ...UDISKS_READS, ...UDISKS_EVERYDAY, ...UDISKS_DESTRUCTIVE },
    forbiddenReason: DISK,
    writeDefault: 'system_change',
    unknown: 'read-or-forbidden',
  },
  {
    // The user's own settings stay calls; what changes how or whether anyone logs in does not.
    name: 'org.freedesktop.Accounts.User',
    methods: {
      ...m('read', 'GetPasswordExpirationPolicy'),
      ...m(
        'system_change',
        'SetRealName SetEmail SetLanguage SetLanguages SetFormatsLocale SetXSession SetSession SetSessionType ' +
          'SetLocation SetIconFile SetXHasMessages SetXKeyboardLayouts SetInputSources SetPasswordHint',
      ),
      ...m(
        'forbidden',
        'SetPassword SetPasswordMode SetAccountType SetAutomaticLogin SetLocked SetShell SetHomeDirectory ' +
          'SetUserName SetPasswordExpirationPolicy SetUserExpirationPolicy',
      ),
    },
    forbiddenReason: ACCOUNT,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.freedesktop.Accounts*',
    methods: {
      ...m(
        'read',
        'ListCachedUsers FindUserById FindUserByName GetUsersLanguages GetPasswordExpirationPolicy',
      ),
      ...m('system_change', 'CacheUser UncacheUser'),
      ...m('forbidden', 'CreateUser DeleteUser SetPassword SetPasswordMode SetAccountType'),
    },
    forbiddenReason: ACCOUNT,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    // CheckAuthorization is a read unless it asks the human (flags & 1: families.ts).
    name: 'org.freedesktop.PolicyKit1*',
    methods: {
      ...m('read', 'CheckAuthorization EnumerateActions EnumerateTemporaryAuthorizations'),
      ...m(
        'system_change',
        'CancelCheckAuthorization RevokeTemporaryAuthorizationById RevokeTemporaryAuthorizations',
      ),
      ...m(
        'forbidden',
        'RegisterAuthenticationAgent RegisterAuthenticationAgentWithOptions UnregisterAuthenticationAgent ' +
          'AuthenticationAgentResponse AuthenticationAgentResponse2',
      ),
    },
    forbiddenReason:
      'impersonation (the authentication agent is the password prompt of the session: polkit trusts its answer)',
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    // realmd joins the machine to a domain: its users can then log in.
    name: 'org.freedesktop.realmd*',
    methods: m('read', 'Discover'),
    forbiddenReason: `${ACCOUNT}: joining or leaving a domain`,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    // lvm2's own D-Bus service, Stratis and Blivet: every change is a disk layout change.
    name: 'com.redhat.lvmdbus1*',
    methods: m('read', 'LookUpByLvmId'),
    forbiddenReason: DISK,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.storage.stratis*',
    methods: {},
    forbiddenReason: DISK,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'com.redhat.Blivet*',
    methods: {},
    forbiddenReason: DISK,
    writeDefault: 'forbidden',
    unknown: 'read-or-forbidden',
  },
];
