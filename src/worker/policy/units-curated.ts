// Mostly data: every member of systemd's D-Bus interfaces (252 through 258), with what it does.
import type { CuratedInterface } from './curated.js';
import type { OperationKind } from './levels.js';

/** What a change does to the unit it names: the judgement follows the dependencies that effect reaches. */
export type Effect = 'start' | 'stop' | 'restart' | 'reload' | 'change' | 'file';

/**
 * The role of one in-argument of a systemd member: `unit` (s, the unit changed with the member's
 * effect), `replaced` (s, the unit whose queued job StartUnitReplace replaces), `units` (as),
 * `files` (as: unit files by name or path), `mode` (s, a job mode), `job-type` (s), `props`
 * (a(sv), unit properties), `pids` (au, processes moved into the unit), `job-id` (u), `-` (not
 * judged).
 */
export type ArgRole =
  'unit' | 'replaced' | 'units' | 'files' | 'mode' | 'job-type' | 'props' | 'pids' | 'job-id' | '-';

export interface SystemdMember {
  kind: Extract<OperationKind, 'read' | 'system_change' | 'forbidden'>;
  /** Why a forbidden member is forbidden. */
  reason?: string;
  /** systemd's in-signature and the role of each argument (a unit-changing member). */
  signature?: string;
  args?: readonly ArgRole[];
  /** What the change does to its unit (named by argument, or by the object path it is called on). */
  effect?: Effect;
  /** A unit-file operation that installs what it is given: a path installs an arbitrary unit file. */
  installs?: boolean;
}

const POWER = 'power operation (systemd: this ends, reboots or replaces the running system or manager)';
const CODE =
  'arbitrary code execution (systemd: transient units, the manager environment and linked unit files run code)';
const MOUNT =
  'arbitrary code execution (systemd: a directory or image mounted into a running service replaces the files it runs and reads)';
const ALL_UNITS = 'a change to every unit or job at once, protected ones included';
const TARGETS = 'a change to a target (targets are how power, isolation and the session are expressed)';

const read: SystemdMember = { kind: 'read' };
const forbidden = (reason: string): SystemdMember => ({ kind: 'forbidden', reason });
const unit = (effect: Effect, signature: string, args: readonly ArgRole[]): SystemdMember => ({
  kind: 'system_change',
  effect,
  signature,
  args,
});
const files = (signature: string, args: readonly ArgRole[], installs = false): SystemdMember => ({
  ...unit('file', signature, args),
  installs,
});

function reads(names: string): Record<string, SystemdMember> {
  return Object.fromEntries(names.split(/\s+/).map((n) => [n, read]));
}

const MANAGER: Record<string, SystemdMember> = {
  ...reads(
    'GetUnit GetUnitByPID GetUnitByInvocationID GetUnitByControlGroup GetUnitByPIDFD LoadUnit GetUnitProcesses ' +
      'GetJob GetJobAfter GetJobBefore ListUnits ListUnitsFiltered ListUnitsByPatterns ListUnitsByNames ListJobs ' +
      'Subscribe Unsubscribe Dump DumpByFileDescriptor DumpUnitsMatchingPatterns ' +
      'DumpUnitsMatchingPatternsByFileDescriptor ListUnitFiles ListUnitFilesByPatterns GetUnitFileState ' +
      'GetDefaultTarget GetUnitFileLinks LookupDynamicUserByName LookupDynamicUserByUID GetDynamicUsers ' +
      'DumpUnitFileDescriptorStore',
  ),
  StartUnit: unit('start', 'ss', ['unit', 'mode']),
  StartUnitWithFlags: unit('start', 'sst', ['unit', 'mode', '-']),
  StartUnitReplace: unit('start', 'sss', ['replaced', 'unit', 'mode']),
  StopUnit: unit('stop', 'ss', ['unit', 'mode']),
  ReloadUnit: unit('reload', 'ss', ['unit', 'mode']),
  RestartUnit: unit('restart', 'ss', ['unit', 'mode']),
  TryRestartUnit: unit('restart', 'ss', ['unit', 'mode']),
  ReloadOrRestartUnit: unit('restart', 'ss', ['unit', 'mode']),
  ReloadOrTryRestartUnit: unit('restart', 'ss', ['unit', 'mode']),
  EnqueueUnitJob: unit('change', 'sss', ['unit', 'job-type', 'mode']),
  EnqueueUnitJobMany: unit('change', 'assst', ['units', 'job-type', 'mode', '-']),
  KillUnit: unit('stop', 'ssi', ['unit', '-', '-']),
  KillUnitSubgroup: unit('stop', 'sssi', ['unit', '-', '-', '-']),
  QueueSignalUnit: unit('stop', 'ssii', ['unit', '-', '-', '-']),
  CleanUnit: unit('change', 'sas', ['unit', '-']),
  FreezeUnit: unit('change', 's', ['unit']),
  ThawUnit: unit('change', 's', ['unit']),
  ResetFailedUnit: unit('change', 's', ['unit']),
  SetUnitProperties: unit('change', 'sba(sv)', ['unit', '-', 'props']),
  BindMountUnit: forbidden(MOUNT),
  MountImageUnit: forbidden(MOUNT),
  RefUnit: unit('change', 's', ['unit']),
  UnrefUnit: unit('change', 's', ['unit']),
  AttachProcessesToUnit: unit('change', 'ssau', ['unit', '-', 'pids']),
  RemoveSubgroupFromUnit: unit('change', 'sst', ['unit', '-', '-']),
  AbandonScope: unit('change', 's', ['unit']),
  CancelJob: unit('change', 'u', ['job-id']),
  EnableUnitFiles: files('asbb', ['files', '-', '-'], true),
  EnableUnitFilesWithFlags: files('ast', ['files', '-'], true),
  ReenableUnitFiles: files('asbb', ['files', '-', '-'], true),
  PresetUnitFiles: files('asbb', ['files', '-', '-'], true),
  PresetUnitFilesWithMode: files('assbb', ['files', '-', '-', '-'], true),
  DisableUnitFiles: files('asb', ['files', '-']),
  DisableUnitFilesWithFlags: files('ast', ['files', '-']),
  DisableUnitFilesWithFlagsAndInstallInfo: files('ast', ['files', '-']),
  MaskUnitFiles: files('asbb', ['files', '-', '-']),
  UnmaskUnitFiles: files('asb', ['files', '-']),
  RevertUnitFiles: files('as', ['files']),
  // The manager itself: reloading unit files, its status output, the exit code it will return.
  Reload: { kind: 'system_change' },
  Reexecute: { kind: 'system_change' },
  SetShowStatus: { kind: 'system_change' },
  SetExitCode: { kind: 'system_change' },
  LinkUnitFiles: forbidden(`${CODE}: it installs the unit files it is given`),
  StartTransientUnit: forbidden(CODE),
  StartAuxiliaryScope: forbidden(CODE),
  SetEnvironment: forbidden(CODE),
  UnsetEnvironment: forbidden(CODE),
  UnsetAndSetEnvironment: forbidden(CODE),
  Exit: forbidden(POWER),
  Reboot: forbidden(POWER),
  SoftReboot: forbidden(POWER),
  PowerOff: forbidden(POWER),
  Halt: forbidden(POWER),
  KExec: forbidden(POWER),
  SwitchRoot: forbidden(POWER),
  EnqueueMarkedJobs: forbidden(`${ALL_UNITS} (it restarts or reloads every unit marked for it)`),
  ClearJobs: forbidden(`${ALL_UNITS} (it cancels every queued job)`),
  ResetFailed: forbidden(`${ALL_UNITS} (it resets the failed state of every unit)`),
  PresetAllUnitFiles: forbidden(`${ALL_UNITS} (it enables and disables every unit file by preset)`),
  SetDefaultTarget: forbidden(`${TARGETS}: it changes default.target`),
  AddDependencyUnitFiles: forbidden(`${TARGETS}: it adds dependencies to a target`),
  CreateSnapshot: forbidden(`${TARGETS}: snapshots are targets`),
  RemoveSnapshot: forbidden(`${TARGETS}: snapshots are targets`),
};

/** The members every unit object has (org.freedesktop.systemd1.Unit), judged by the object's unit. */
const UNIT: Record<string, SystemdMember> = {
  Start: unit('start', 's', ['mode']),
  Stop: unit('stop', 's', ['mode']),
  Reload: unit('reload', 's', ['mode']),
  Restart: unit('restart', 's', ['mode']),
  TryRestart: unit('restart', 's', ['mode']),
  ReloadOrRestart: unit('restart', 's', ['mode']),
  ReloadOrTryRestart: unit('restart', 's', ['mode']),
  EnqueueJob: unit('change', 'ss', ['job-type', 'mode']),
  Kill: unit('stop', 'si', ['-', '-']),
  KillSubgroup: unit('stop', 'si', ['-', '-']),
  QueueSignal: unit('stop', 'sii', ['-', '-', '-']),
  ResetFailed: unit('change', '', []),
  SetProperties: unit('change', 'ba(sv)', ['-', 'props']),
  Ref: unit('change', '', []),
  Unref: unit('change', '', []),
  Clean: unit('change', 'as', ['-']),
  Freeze: unit('change', '', []),
  Thaw: unit('change', '', []),
};

/** The members of the unit types that run processes (the cgroup interface they share). */
const PROCESSES: Record<string, SystemdMember> = {
  GetProcesses: read,
  AttachProcesses: unit('change', 'sau', ['-', 'pids']),
  RemoveSubgroup: unit('change', 'st', ['-', '-']),
};

export const SYSTEMD_MEMBERS: Readonly<Record<string, Readonly<Record<string, SystemdMember>>>> = {
  'org.freedesktop.systemd1.Manager': MANAGER,
  'org.freedesktop.systemd1.Unit': UNIT,
  'org.freedesktop.systemd1.Service': {
    ...PROCESSES,
    DumpFileDescriptorStore: read,
    BindMount: forbidden(MOUNT),
    MountImage: forbidden(MOUNT),
  },
  'org.freedesktop.systemd1.Socket': PROCESSES,
  'org.freedesktop.systemd1.Mount': PROCESSES,
  'org.freedesktop.systemd1.Swap': PROCESSES,
  'org.freedesktop.systemd1.Slice': PROCESSES,
  'org.freedesktop.systemd1.Scope': { ...PROCESSES, Abandon: unit('change', '', []) },
  'org.freedesktop.systemd1.Timer': {},
  'org.freedesktop.systemd1.Path': {},
  'org.freedesktop.systemd1.Target': {},
  'org.freedesktop.systemd1.Automount': {},
  'org.freedesktop.systemd1.Device': {},
  'org.freedesktop.systemd1.Job': { Cancel: unit('change', '', []), GetAfter: read, GetBefore: read },
};

/** SYSTEMD_MEMBERS by case-folded interface name (the first of a case-folded pair, as a walk would find). */
const SYSTEMD_MEMBERS_FOLDED = new Map<string, Readonly<Record<string, SystemdMember>>>();
for (const [name, members] of Object.entries(SYSTEMD_MEMBERS)) {
  const folded = name.toLowerCase();
  if (!SYSTEMD_MEMBERS_FOLDED.has(folded)) SYSTEMD_MEMBERS_FOLDED.set(folded, members);
}

/** The members of `iface` (case-insensitive, as curated interfaces are matched), or undefined. */
export function systemdMembers(iface: string): Readonly<Record<string, SystemdMember>> | undefined {
  return SYSTEMD_MEMBERS_FOLDED.get(iface.toLowerCase());
}

/** True for an interface of the systemd manager (curated completely: an unlisted member is refused). */
export function isSystemdInterface(iface: string): boolean {
  return iface.toLowerCase().startsWith('org.freedesktop.systemd1.');
}

function entry(name: string, table: Readonly<Record<string, SystemdMember>>): CuratedInterface {
  const methods: Record<string, OperationKind> = {};
  const forbiddenReasons: Record<string, string> = {};
  for (const [member, spec] of Object.entries(table)) {
    methods[member] = spec.kind;
    if (spec.reason) forbiddenReasons[member] = spec.reason;
  }
  return {
    name,
    methods,
    forbiddenReason:
      'not in the curated knowledge of systemd: an unlisted systemd member is refused until it is judged',
    forbiddenReasons,
    ...(name.endsWith('.Manager')
      ? { unitArgs: Object.keys(table).filter((k) => table[k]?.args) }
      : { unitPath: true }),
    // Manager properties: the log settings are changes; the watchdogs can reset the machine.
    writes: name.endsWith('.Manager')
      ? { LogLevel: 'system_change', LogTarget: 'system_change', ServiceWatchdogs: 'system_change' }
      : {},
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  };
}

/** Curated knowledge of systemd's interfaces; any other `org.freedesktop.systemd1.*` interface is refused. */
export const SYSTEMD_INTERFACES: CuratedInterface[] = [
  ...Object.entries(SYSTEMD_MEMBERS).map(([name, table]) => entry(name, table)),
  entry('org.freedesktop.systemd1.*', {}),
];
