/**
 * Which unit properties an agent may set (SetUnitProperties, Unit.SetProperties): the resource
 * controls of systemd.resource-control(5) and the description. Anything else is refused: the
 * Exec*= commands, the environment and the identity a service runs with are code execution, the
 * *Action= settings power operations, and the rest (dependencies, sandboxing) changes what the
 * unit does in ways the policy cannot judge.
 */

const RESOURCE_CONTROL = new Set(
  (
    'Description CPUAccounting CPUWeight StartupCPUWeight CPUShares StartupCPUShares CPUQuotaPerSecUSec ' +
    'CPUQuotaPeriodUSec AllowedCPUs StartupAllowedCPUs AllowedMemoryNodes StartupAllowedMemoryNodes ' +
    'MemoryAccounting MemoryMin MemoryLow StartupMemoryLow MemoryHigh StartupMemoryHigh MemoryMax StartupMemoryMax ' +
    'MemorySwapMax StartupMemorySwapMax MemoryZSwapMax StartupMemoryZSwapMax MemoryZSwapWriteback MemoryLimit ' +
    'DefaultMemoryMin DefaultMemoryLow DefaultStartupMemoryLow MemoryMinScale MemoryLowScale MemoryHighScale ' +
    'MemoryMaxScale MemorySwapMaxScale MemoryZSwapMaxScale MemoryLimitScale TasksAccounting TasksMax TasksMaxScale ' +
    'IOAccounting IOWeight StartupIOWeight IODeviceWeight IOReadBandwidthMax IOWriteBandwidthMax IOReadIOPSMax ' +
    'IOWriteIOPSMax IODeviceLatencyTargetUSec BlockIOAccounting BlockIOWeight StartupBlockIOWeight ' +
    'BlockIODeviceWeight BlockIOReadBandwidth BlockIOWriteBandwidth IPAccounting ManagedOOMSwap ' +
    'ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit ManagedOOMMemoryPressureDurationUSec ' +
    'ManagedOOMPreference MemoryPressureWatch MemoryPressureThresholdUSec'
  ).split(' '),
);

const CODE = new Set(
  (
    'Environment EnvironmentFiles PassEnvironment UnsetEnvironment User Group DynamicUser SupplementaryGroups ' +
    'WorkingDirectory RootDirectory RootImage RootImageOptions MountImages ExtensionImages ExtensionDirectories ' +
    'BindPaths BindReadOnlyPaths TemporaryFileSystem LoadCredential LoadCredentialEncrypted SetCredential ' +
    'SetCredentialEncrypted ImportCredential AmbientCapabilities CapabilityBoundingSet NoNewPrivileges SecureBits ' +
    'PAMName TTYPath StandardInput StandardInputText StandardInputData Type NotifyAccess Sockets ' +
    'BusName PIDFile RemainAfterExit ExecSearchPath'
  ).split(' '),
);

/** Why setting unit property `name` is refused, or undefined when it is a resource control. */
export function propertyReason(name: string): string | undefined {
  if (RESOURCE_CONTROL.has(name)) return undefined;
  if (name.startsWith('Exec') || CODE.has(name)) {
    return `setting ${name} is arbitrary code execution (it decides what the unit runs, and how)`;
  }
  if (/Action$/.test(name) || /RebootArgument$/.test(name) || /JobMode$/.test(name)) {
    return `setting ${name} is a power operation (it decides what the manager does when the unit ends)`;
  }
  return `setting ${name} is refused: only resource-control properties (CPU, memory, tasks, IO) and Description may be set`;
}
