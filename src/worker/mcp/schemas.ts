import { z } from 'zod';

/** Input pieces shared by the generic tools; names and defaults are part of the contract. */
export const busInput = z
  .enum(['session', 'system'])
  .default('session')
  .describe('Which bus: "session" (the desktop user\'s bus, default) or "system".');

export const serviceInput = z
  .string()
  .min(1)
  .describe('Bus name of the service: well-known (org.freedesktop.Notifications) or unique (:1.42).');

export const pathInput = z.string().min(1).describe('Object path, e.g. /org/freedesktop/Notifications.');

export const interfaceInput = z
  .string()
  .min(1)
  .describe('Interface name, e.g. org.freedesktop.DBus.Properties.');

export const autoStartInput = z
  .boolean()
  .default(false)
  .describe(
    'Let the bus start the service if it is activatable and not running (reads never do by default).',
  );

/** D-Bus values as JSON: documented in docs/TOOLS.md ("Values"). */
export const jsonValue = z.unknown();

export const errorInfo = z.object({ name: z.string(), message: z.string() }).loose();

/** Which systemd manager the systemd tools talk to. */
export const managerInput = z
  .enum(['user', 'system'])
  .default('user')
  .describe(
    '"user": the user\'s service manager (session bus, default); "system": the system manager (system bus).',
  );
