import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/**
 * systemd's daemons that run code or install units on the manager's behalf: machined (a shell,
 * a login or files inside a machine), portabled (attaching a portable image installs its unit
 * files), sysupdated (installs new versions of the OS). Their reads stay reads; an unlisted member
 * is refused.
 */
export const SYSTEMD_DAEMON_INTERFACES: CuratedInterface[] = [
  {
    name: 'org.freedesktop.machine1.*',
    methods: {
      ...m(
        'read',
        'GetMachine GetImage GetMachineByPID ListMachines ListImages GetMachineAddresses GetMachineOSRelease ' +
          'GetMachineUIDShift GetAddresses GetOSRelease GetUIDShift MapFromMachineUser MapToMachineUser ' +
          'MapFromMachineGroup MapToMachineGroup GetHostname GetOSRelease GetSSHInfo GetMachineSSHInfo',
      ),
      ...m(
        'system_change',
        'TerminateMachine KillMachine Terminate Kill SetPoolLimit SetLimit MarkImageReadOnly MarkReadOnly',
      ),
      ...m(
        'forbidden',
        'OpenMachineShell OpenMachineLogin OpenMachinePTY OpenShell OpenLogin OpenPTY CreateMachine ' +
          'CreateMachineWithNetwork RegisterMachine RegisterMachineWithNetwork CopyToMachine CopyFromMachine ' +
          'CopyToMachineWithFlags CopyFromMachineWithFlags CopyTo CopyFrom CopyToWithFlags CopyFromWithFlags ' +
          'BindMountMachine BindMount OpenMachineRootDirectory OpenRootDirectory CloneImage Clone RemoveImage Remove ' +
          'RenameImage Rename CleanPool',
      ),
    },
    forbiddenReason: 'arbitrary code execution or file changes inside a machine (systemd-machined)',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.portable1.*',
    methods: {
      ...m(
        'read',
        'GetImage ListImages GetImageOSRelease GetImageMetadata GetImageMetadataWithExtensions GetImageState GetImageStateWithExtensions GetOSRelease GetMetadata GetMetadataWithExtensions GetState GetStateWithExtensions',
      ),
      ...m('system_change', 'DetachImage DetachImageWithExtensions Detach DetachWithExtensions'),
    },
    forbiddenReason:
      'arbitrary code execution (systemd-portabled: attaching an image installs its unit files)',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.sysupdate1.*',
    methods: m(
      'read',
      'ListTargets ListJobs ListAppStream List Describe CheckNew GetVersion GetAppStream ListFeatures DescribeFeature',
    ),
    forbiddenReason: 'package management (systemd-sysupdated installs new versions of the system)',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.import1.*',
    methods: {
      ...m('read', 'ListTransfers ListTransfersEx ListImages'),
      ...m('system_change', 'CancelTransfer Cancel'),
    },
    forbiddenReason:
      'package management (systemd-importd: a pulled or imported image becomes a machine, a portable service or a system extension)',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.home1.*',
    methods: {
      ...m(
        'read',
        'GetHomeByName GetHomeByUID GetUserRecordByName GetUserRecordByUID ListHomes GetUserRecord ListSigningKeys GetSigningKey',
      ),
      ...m(
        'system_change',
        'ActivateHome ActivateHomeIfReferenced LockHome UnlockHome LockAllHomes AcquireHome RefHome ' +
          'RefHomeUnrestricted ReleaseHome Rebalance Activate ActivateIfReferenced Lock Unlock Acquire Ref ' +
          'RefUnrestricted Release',
      ),
      ...m('forbidden', 'DeactivateHome DeactivateAllHomes Deactivate'),
    },
    forbiddenReason:
      'account change (systemd-homed: creating, removing, changing or checking the password of a user and their home)',
    forbiddenReasons: Object.fromEntries(
      ['DeactivateHome', 'DeactivateAllHomes', 'Deactivate'].map((n) => [
        n,
        'ends login sessions (systemd-homed: a deactivated home is unmounted under its user)',
      ]),
    ),
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
];
