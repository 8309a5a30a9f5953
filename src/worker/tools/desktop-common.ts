import { Variant } from 'dbus-next';
import { AppError, DBusCallError } from '../../shared/errors.js';
import type { BusConnection } from '../dbus/connection.js';
import type { BusKind } from '../dbus/types.js';
import type { JsonValue } from '../dbus/values/index.js';
import { fromDBus } from '../dbus/values/index.js';
import { parseSingleType } from '../dbus/signature.js';
import type { OperationKind, OperationRequest } from '../policy/index.js';
import type { ToolDeps } from './deps.js';
import type { OperationContext } from './operations.js';
import { queuedCall } from './operations.js';

/** Shared pieces of the desktop and system task tools. */

export const DRIVER = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
};
export const PROPERTIES = 'org.freedesktop.DBus.Properties';

/** D-Bus errors meaning "nobody provides this here" (not "it failed"). */
const MISSING = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.UnknownObject',
  'org.freedesktop.DBus.Error.UnknownInterface',
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

/** A task tool's request for the policy: a method call with its declared kind. */
export function taskRequest(
  bus: BusKind,
  target: { destination: string; path: string; interface: string; member: string },
  kind: OperationKind,
  args?: unknown[],
  access: OperationRequest['access'] = 'call',
): OperationRequest {
  return { bus, ...target, access, kind, ...(args ? { args } : {}) };
}

/** A property-read request (GetAll) for the policy. */
export function readRequest(
  bus: BusKind,
  destination: string,
  path: string,
  iface: string,
): OperationRequest {
  return { bus, destination, path, interface: iface, member: 'GetAll', access: 'getall', kind: 'read' };
}

/** Names on the bus (well-known only) and the activatable ones. */
export async function busNames(
  deps: ToolDeps,
  conn: BusConnection,
  octx: OperationContext,
): Promise<{ names: string[]; activatable: string[] }> {
  const [list, act] = await Promise.all([
    queuedCall(deps, conn, { ...DRIVER, member: 'ListNames' }, octx),
    queuedCall(deps, conn, { ...DRIVER, member: 'ListActivatableNames' }, octx),
  ]);
  const wellKnown = (v: unknown) => ((v ?? []) as string[]).filter((n) => !n.startsWith(':')).sort();
  return { names: wellKnown(list.body[0]), activatable: wellKnown(act.body[0]) };
}

export async function hasOwner(deps: ToolDeps, conn: BusConnection, name: string, octx: OperationContext) {
  const reply = await queuedCall(
    deps,
    conn,
    { ...DRIVER, member: 'NameHasOwner', signature: 's', body: [name] },
    octx,
  );
  return reply.body[0] === true;
}

/** A variant from the wire as plain JSON (its value only). */
export function unwrap(v: unknown): JsonValue {
  if (v instanceof Variant) return fromDBus(parseSingleType(v.signature), v.value);
  return null;
}

/** Properties.GetAll as `{ Name: json }`. Does not start the service unless `autoStart`. */
export async function getAll(
  deps: ToolDeps,
  conn: BusConnection,
  target: { destination: string; path: string; interface: string },
  octx: OperationContext,
  autoStart = false,
): Promise<Record<string, JsonValue>> {
  const reply = await queuedCall(
    deps,
    conn,
    {
      destination: target.destination,
      path: target.path,
      interface: PROPERTIES,
      member: 'GetAll',
      signature: 's',
      body: [target.interface],
      noAutoStart: !autoStart,
    },
    octx,
  );
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries((reply.body[0] ?? {}) as Record<string, unknown>)) out[k] = unwrap(v);
  return out;
}

/** 64-bit values come back as decimal strings; status fields read better as numbers. */
export function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

export function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Sends "still waiting" progress once a second while `work` runs, when the client asked for progress. */
export async function whileWaiting<T>(
  octx: OperationContext,
  message: string,
  totalMs: number | undefined,
  work: Promise<T>,
): Promise<T> {
  const { progress } = octx;
  if (!progress) return work;
  const started = Date.now();
  const timer = setInterval(() => {
    const ms = Date.now() - started;
    progress(ms, totalMs, `${message} (${Math.round(ms / 1000)} s)`);
  }, 1000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
