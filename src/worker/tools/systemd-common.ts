import { AppError } from '../../shared/errors.js';
import type { BusKind } from '../dbus/types.js';
import { z } from 'zod';
import { isUnitName } from '../policy/floor.js';
import { isServiceMissing, unavailable } from './desktop-common.js';

export const SYSTEMD = {
  destination: 'org.freedesktop.systemd1',
  path: '/org/freedesktop/systemd1',
  interface: 'org.freedesktop.systemd1.Manager',
};

export const managerInput = z
  .enum(['user', 'system'])
  .default('user')
  .describe(
    '"user": the user\'s service manager (session bus, default); "system": the system manager (system bus).',
  );

export type Manager = 'user' | 'system';

export function managerBus(manager: Manager): BusKind {
  return manager === 'user' ? 'session' : 'system';
}

const UNIT_CHARS = /^[A-Za-z0-9:_.\\@-]+$/;

/** A unit name as systemctl takes it: without a type suffix it is a .service. */
export function unitName(given: string): string {
  if (given.length === 0 || given.length > 255 || !UNIT_CHARS.test(given)) {
    throw new AppError(
      'USAGE',
      `${JSON.stringify(given)} is not a unit name (letters, digits, ":_.\\@-" only)`,
    );
  }
  return isUnitName(given) ? given : `${given}.service`;
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
