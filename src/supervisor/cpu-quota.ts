import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface CpuQuota {
  /** The tightest quota on this process's cgroup or its parents, in % of one CPU (100 = one CPU). */
  percent: number;
  /** The cgroup file it came from. */
  file: string;
}

/**
 * The CPU quota that applies to this process (cgroup v2 `cpu.max`, e.g. a unit's CPUQuota=50%),
 * or undefined when there is none or it cannot be read. Read on demand, for warnings only.
 */
export function cpuQuota(root = '/sys/fs/cgroup', procCgroup = '/proc/self/cgroup'): CpuQuota | undefined {
  let path: string | undefined;
  try {
    path = /^0::(\/.*)$/m.exec(readFileSync(procCgroup, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
  if (!path) return undefined;
  let tightest: CpuQuota | undefined;
  for (let dir = path; ; dir = dir.slice(0, dir.lastIndexOf('/')) || '/') {
    const file = join(root, dir, 'cpu.max');
    try {
      const [quota, period] = readFileSync(file, 'utf8').trim().split(/\s+/);
      if (quota !== 'max' && Number(period) > 0) {
        const percent = Math.round((100 * Number(quota)) / Number(period));
        if (!tightest || percent < tightest.percent) tightest = { percent, file };
      }
    } catch {
      // no cpu controller at this level
    }
    if (dir === '/') break;
  }
  return tightest;
}

/** What an operator reads when workers do not boot in time: the machine, and the keys to change. */
export function explainSlowBoot(
  deadline: { stallMs: number; totalMs: number },
  quota: CpuQuota | undefined = cpuQuota(),
  cpus: number = availableParallelism(),
): string {
  const machine = quota
    ? `the service runs under a CPU quota of ${quota.percent}% (${quota.file})`
    : `${cpus} CPU${cpus === 1 ? '' : 's'}, no CPU quota found`;
  // Raising the quota helps only while it is below what the machine has.
  const raise =
    quota && quota.percent < 100 * cpus
      ? `raise the unit's CPUQuota= (systemctl --user set-property dbus-mcp-standalone.service ` +
        `CPUQuota=${Math.min(100 * cpus, Math.max(100, 2 * quota.percent))}%) or `
      : `the unit's CPUQuota= is not what holds it back; `;
  return (
    `the machine may be too slow or CPU-limited (${machine}); ${raise}raise the boot deadline ` +
    `WORKER_BOOT_TIMEOUT_MIN_MS (no-progress deadline, now ${deadline.stallMs} ms) / ` +
    `WORKER_BOOT_TIMEOUT_MAX_MS (whole boot, now ${deadline.totalMs} ms) in /etc/dbus-mcp/config`
  );
}
