import { AppError, DBusCallError } from '../../shared/errors.js';
import type { BusKind } from '../dbus/types.js';
import type { JsonValue } from '../dbus/values/index.js';
import { DECIMAL } from '../dbus/values/index.js';
import { DBUS_ERRORS } from '../dbus/well-known.js';
import type { OperationKind, OperationRequest } from '../policy/index.js';

/** Shared pieces of the desktop and system task tools. */

/** D-Bus errors meaning "nobody provides this here" (not "it failed"). */
const MISSING: ReadonlySet<string> = new Set([
  DBUS_ERRORS.ServiceUnknown,
  DBUS_ERRORS.NameHasNoOwner,
  DBUS_ERRORS.UnknownObject,
  DBUS_ERRORS.UnknownInterface,
]);

export function isServiceMissing(e: unknown): boolean {
  return e instanceof DBusCallError && MISSING.has(e.dbusName);
}

/**
 * AppError SERVICE_UNAVAILABLE naming what is missing (the message) and what would provide it
 * (`details.hint`, which the error result shows on its own line: never both in the message too).
 */
export function unavailable(what: string, hint: string, cause?: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', what, { cause, details: { hint } });
}

/** A D-Bus method on one object. */
export interface MethodTarget {
  destination: string;
  path: string;
  interface: string;
  member: string;
}

/**
 * A task tool's request for the gate: a method call with its declared kind, the arguments as JSON
 * and their signature (what the policy judges is what is sent).
 */
export function taskRequest(
  bus: BusKind,
  target: MethodTarget,
  kind: OperationKind,
  call: {
    signature?: string;
    args?: unknown[];
    access?: OperationRequest['access'];
    autoStart?: boolean;
  } = {},
): OperationRequest {
  const { signature, args, access = 'call', autoStart } = call;
  return {
    bus,
    ...target,
    access,
    kind,
    ...(args ? { args } : {}),
    ...(signature !== undefined ? { signature } : {}),
    ...(autoStart ? { autoStart } : {}),
  };
}

/** 64-bit values come back as decimal strings; status fields read better as numbers. */
export function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && DECIMAL.test(v)) return Number(v);
  return undefined;
}

export function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
