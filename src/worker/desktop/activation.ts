import { AppError, DBusCallError } from '../../shared/errors.js';
import { DRIVER } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import type { OperationKind } from '../policy/index.js';
import { taskRequest } from './common.js';

/**
 * Starting the desktop service a task tool needs. A task tool exists to do its task, so when its
 * service is installed but not running (D-Bus activatable) it starts it — but starting a service
 * is an operation of its own: `org.freedesktop.DBus.StartServiceByName(name, 0)`, judged by the
 * policy as the task tool's own kind (`screenshot`, `clipboard_read`, `clipboard_write`,
 * `notify`), so the level decides exactly as it decides the task: at high `capture_screen`'s
 * activation is refused and nothing starts. It is audited, draws from the task's rate bucket and
 * meets the same operator rules (a `deny` for StartServiceByName stops it). Generic read tools
 * never come here: they start nothing unless the caller passes `auto_start`.
 */

/**
 * How long a task tool waits for a service it starts. dbus-daemon gives up on an activation
 * after its own `service_start_timeout` (25 s by default); a desktop service that is not up after
 * 20 s will not be ready for this request either.
 */
export const ACTIVATION_TIMEOUT_MS = 20_000;

/** Where a service stands for a task tool: already there, started by this call, or not installed. */
export type ServiceState = 'running' | 'started' | 'absent';

/** Whether `name` runs on the session bus, or could be started by it (a read: nothing starts). */
export async function serviceState(
  gate: Gate,
  octx: OperationContext,
  name: string,
): Promise<'running' | 'activatable' | 'absent'> {
  if (await gate.driver.nameHasOwner('session', name, octx)) return 'running';
  const activatable = await gate.driver.listActivatableNames('session', octx);
  return activatable.includes(name) ? 'activatable' : 'absent';
}

/**
 * Makes sure `name` runs on the session bus: 'running' when it already does, 'started' after
 * starting it through D-Bus activation (judged as `kind`), 'absent' when the bus cannot start it.
 * A refusal rejects with the policy's error (POLICY_DENIED, RATE_LIMITED); a service that fails
 * to start, or is not up within `timeoutMs` (at most ACTIVATION_TIMEOUT_MS), rejects with
 * SERVICE_UNAVAILABLE naming the bus's reason.
 */
export async function ensureRunning(
  gate: Gate,
  octx: OperationContext,
  name: string,
  kind: OperationKind,
  timeoutMs = ACTIVATION_TIMEOUT_MS,
): Promise<ServiceState> {
  const state = await serviceState(gate, octx, name);
  if (state !== 'activatable') return state;
  return startService(gate, octx, name, kind, timeoutMs);
}

/**
 * StartServiceByName(name) judged as `kind`: 'started', or 'running' when it came up meanwhile.
 * `slow` explains, when it does not come up in time, what is known to make this service slow.
 */
export async function startService(
  gate: Gate,
  octx: OperationContext,
  name: string,
  kind: OperationKind,
  timeoutMs = ACTIVATION_TIMEOUT_MS,
  slow?: string,
): Promise<'started' | 'running'> {
  const bound = Math.max(1, Math.min(timeoutMs, ACTIVATION_TIMEOUT_MS));
  const req = taskRequest('session', { ...DRIVER, member: 'StartServiceByName' }, kind, {
    signature: 'su',
    args: [name, 0],
  });
  try {
    const reply = await gate.run(req, octx, (op) =>
      op.call({ timeoutMs: bound, progress: `starting ${name} (D-Bus activation)` }),
    );
    // 1: DBUS_START_REPLY_SUCCESS, 2: DBUS_START_REPLY_ALREADY_RUNNING.
    return Number(reply.body[0]) === 1 ? 'started' : 'running';
  } catch (e) {
    throw activationFailure(name, bound, e, slow);
  }
}

/** A failed activation as the tool reports it; the policy's own refusals pass unchanged. */
function activationFailure(name: string, timeoutMs: number, e: unknown, slow?: string): unknown {
  if (e instanceof AppError && e.code === 'DBUS_TIMEOUT') {
    return new AppError(
      'SERVICE_UNAVAILABLE',
      `${name} is installed (D-Bus activatable) but did not come up within ${Math.round(timeoutMs / 1000)} s of being started`,
      {
        cause: e,
        details: {
          hint:
            `${slow ? `${slow} ` : ''}The bus is still starting it; try again in a moment. ` +
            'If it never comes up, its log (journalctl --user) says why.',
        },
      },
    );
  }
  if (e instanceof DBusCallError) {
    return new AppError(
      'SERVICE_UNAVAILABLE',
      `the bus could not start ${name}: ${e.dbusName}: ${e.dbusMessage}`,
      {
        cause: e,
        details: {
          hint: 'The service is installed (its D-Bus .service file is there) but failed to start; its log (journalctl --user) says why.',
        },
      },
    );
  }
  return e;
}

/** "Started NAME (D-Bus activation) for this call." — or '' when nothing was started. */
export function startedNote(started: readonly string[]): string {
  return started.length === 0
    ? ''
    : `Started ${started.join(' and ')} for this call (D-Bus activation: it was installed but not running).`;
}
