import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/** Curated knowledge of systemd's D-Bus interfaces (the manager and its unit objects). */

const SYSTEMD_UNIT_CHANGES =
  'StartUnit StartUnitReplace StartUnitWithFlags StopUnit ReloadUnit RestartUnit TryRestartUnit ReloadOrRestartUnit ' +
  'ReloadOrTryRestartUnit EnqueueUnitJob KillUnit QueueSignalUnit ResetFailedUnit CleanUnit FreezeUnit ThawUnit ' +
  'SetUnitProperties BindMountUnit MountImageUnit RefUnit UnrefUnit AttachProcessesToUnit AbandonScope ' +
  'EnableUnitFiles EnableUnitFilesWithFlags DisableUnitFiles DisableUnitFilesWithFlags ' +
  'DisableUnitFilesWithFlagsAndInstallInfo ReenableUnitFiles LinkUnitFiles PresetUnitFiles PresetUnitFilesWithMode ' +
  'MaskUnitFiles UnmaskUnitFiles RevertUnitFiles SetDefaultTarget AddDependencyUnitFiles';

export const SYSTEMD_INTERFACES: CuratedInterface[] = [
  {
    name: 'org.freedesktop.systemd1.Manager',
    methods: {
      ...m(
        'read',
        'GetUnit GetUnitByPID GetUnitByInvocationID GetUnitByControlGroup GetUnitByPIDFD GetJob GetJobAfter ' +
          'GetJobBefore ListUnits ListUnitsFiltered ListUnitsByPatterns ListUnitsByNames ListJobs ListUnitFiles ' +
          'ListUnitFilesByPatterns GetUnitFileState GetUnitFileLinks GetDefaultTarget Dump GetDynamicUsers ' +
          'GetUnitProcesses LookupDynamicUserByName LookupDynamicUserByUID LoadUnit Subscribe Unsubscribe',
      ),
      ...m('system_change', SYSTEMD_UNIT_CHANGES),
      ...m('system_change', 'Reload Reexecute ResetFailed ClearJobs CancelJob SetShowStatus SetExitCode'),
      ...m(
        'forbidden',
        'StartTransientUnit SetEnvironment UnsetEnvironment UnsetAndSetEnvironment PowerOff Reboot Halt KExec ' +
          'SoftReboot SwitchRoot Exit PresetAllUnitFiles',
      ),
    },
    forbiddenReason:
      'power or arbitrary code execution (systemd: transient units and the manager environment run code)',
    unitArgs: SYSTEMD_UNIT_CHANGES.split(' '),
    writeDefault: 'system_change',
    unknown: 'mutating',
  },
  {
    name: 'org.freedesktop.systemd1.*',
    methods: {
      ...m('read', 'GetProcesses DumpFileDescriptorStore'),
      ...m(
        'system_change',
        'Start Stop Reload Restart TryRestart ReloadOrRestart ReloadOrTryRestart EnqueueJob Kill QueueSignal ' +
          'ResetFailed SetProperties Ref Unref Clean Freeze Thaw BindMount MountImage AttachProcesses Abandon Cancel',
      ),
    },
    forbiddenReason: 'change to a protected unit',
    unitPath: true,
    writeDefault: 'system_change',
    unknown: 'mutating',
  },
];
