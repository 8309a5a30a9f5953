import { AppError } from '../../shared/errors.js';
import type { BusKind } from '../dbus/types.js';
import { SYSTEMD } from '../dbus/well-known.js';
import { mangleUnitName } from '../policy/index.js';
import type { OperationKind, OperationRequest } from '../policy/index.js';
import { isServiceMissing, taskRequest, unavailable } from './common.js';

/** The systemd task tools' shared pieces: which manager, unit names, errors, times. */

export type Manager = 'user' | 'system';

export function managerBus(manager: Manager): BusKind {
  return manager === 'user' ? 'session' : 'system';
}

/**
 * A unit name as `systemctl` reads one (systemd's unit_name_mangle): without a type suffix it is a
 * .service, a path names a .mount or .device unit, other characters are escaped. An empty name or a
 * glob is refused.
 */
export function unitName(given: string): string {
  const m = mangleUnitName(given);
  if (!m.ok) throw new AppError('INVALID_ARGUMENT', `not a unit name: ${m.reason}`);
  return m.name;
}

/** A call of the systemd manager (Manager interface) as the gate judges it. */
export function managerRequest(
  manager: Manager,
  member: string,
  kind: OperationKind,
  args?: string[],
): OperationRequest {
  const call = args ? { signature: 's'.repeat(args.length), args } : {};
  return taskRequest(managerBus(manager), { ...SYSTEMD, member }, kind, call);
}

/** Maps "systemd is not on this bus" to SERVICE_UNAVAILABLE; other errors pass. */
export function systemdMissing(e: unknown, manager: Manager): unknown {
  if (!isServiceMissing(e) && !(e instanceof AppError && e.code === 'DBUS_CONNECT_FAILED')) return e;
  return unavailable(
    `No systemd ${manager} manager (org.freedesktop.systemd1 on the ${managerBus(manager)} bus)`,
    manager === 'user'
      ? 'The user service manager runs as systemd --user in most desktop sessions; try manager="system".'
      : 'This machine does not run systemd as its init system, or the system bus is unreachable.',
    e,
  );
}

/** microseconds since the epoch (as a decimal string) → ISO time, or null for 0/unset. */
export function usecToIso(v: unknown): string | null {
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : 0;
  return n > 0 ? new Date(n / 1000).toISOString() : null;
}
