import { DBusCallError, errorMessage } from '../../shared/errors.js';
import type { BusConnection } from '../dbus/connection.js';
import { DBUS_ERRORS, DRIVER, PROPERTIES } from '../dbus/well-known.js';
import type { Access } from './classify.js';
import type { PreparedMessage } from '../dbus/types.js';
import type { BusKind, OperationKind } from './levels.js';
import type { SystemdAnswers } from './units.js';

export type { PreparedMessage } from '../dbus/types.js';

/** What the policy needs of a bus connection (a `BusConnection` is one). */
export type PolicyConnection = Pick<BusConnection, 'call' | 'namesOwnedBy' | 'ownerOf' | 'introspection'>;

/** One operation a tool is about to perform, as the tool received it. */
export interface OperationRequest {
  bus: BusKind;
  /** Well-known or unique name; '' for a task tool that does not talk to D-Bus (then `kind` is required). */
  destination: string;
  path: string;
  /** Omitted for a method call: resolved through introspection, or refused. */
  interface?: string;
  /** Method name, or property name for get/set ('' or omitted meaning for getall). */
  member: string;
  access: Access;
  /** A task tool's declared kind; the computed kind still wins when it is `forbidden`. */
  kind?: OperationKind;
  /** Call arguments (JSON form): read for Properties calls and unit names; audited, redacted when secret-bearing. */
  args?: unknown[];
  /**
   * D-Bus signature of `args` when the caller gives one: the in-signature of a call, the type of a
   * property write. Otherwise the gate takes it from introspection.
   */
  signature?: string;
  /** Let the bus start the destination if it is activatable and not running (default: never). */
  autoStart?: boolean;
}

/** Builds the message of a resolved operation (the gate's job); throws when the arguments do not convert. */
export type PrepareMessage = (op: ResolvedOperation) => Promise<PreparedMessage>;

/** The operation as the policy judges it. */
export interface ResolvedOperation {
  bus: BusKind;
  destination: string;
  /** Unique name of the destination's owner, when it has one. */
  owner?: string;
  /** The destination, its owner and every well-known name the owner holds. */
  names: string[];
  path: string;
  interface: string;
  member: string;
  access: Access;
  args?: unknown[];
  /** The call as sent, when judged as something else (a Properties call judged as property access). */
  raw?: { interface: string; member: string };
  /** How the interface was found when the caller omitted it. */
  interfaceFrom?: 'introspection';
  /** The message as it will be sent, when the gate prepared one (its `body` holds the typed arguments). */
  message?: PreparedMessage;
  /** What the systemd manager answered about the units a systemd call changes (units-resolve.ts). */
  systemd?: SystemdAnswers;
}

export type Resolution =
  | { ok: true; op: ResolvedOperation }
  | { ok: false; reason: string; hint: string; names: string[]; owner?: string; needsBus?: boolean };

/**
 * The destination plus its owner's unique name and every well-known name that owner holds,
 * so rules and curated knowledge match however the destination is spelled. A name without an
 * owner resolves to itself; other bus failures propagate (the call could not be made anyway).
 */
export async function resolveNames(
  conn: PolicyConnection | undefined,
  destination: string,
  signal?: AbortSignal,
): Promise<{ owner?: string; names: string[] }> {
  if (!conn || destination === '' || destination === DRIVER.destination) return { names: [destination] };
  // The connection follows owners (NameOwnerChanged), which saves a bus round trip per call; a
  // name it does not know of (not running, or its signal still on the way) is asked for directly.
  let owner = destination.startsWith(':') ? destination : await conn.ownerOf(destination);
  if (owner === undefined) {
    try {
      const reply = await conn.call(
        { ...DRIVER, member: 'GetNameOwner', signature: 's', body: [destination], noAutoStart: true },
        { signal },
      );
      owner = typeof reply.body[0] === 'string' ? reply.body[0] : undefined;
    } catch (e) {
      if (!(e instanceof DBusCallError && e.dbusName === DBUS_ERRORS.NameHasNoOwner)) throw e;
    }
  }
  const names = new Set([destination]);
  if (owner !== undefined) {
    names.add(owner);
    for (const n of await conn.namesOwnedBy(owner)) names.add(n);
  }
  return { owner, names: [...names] };
}

/** `Properties.Get/GetAll/Set` reached as a method call → the property operation it performs. */
function propertyCall(
  member: string,
  args: unknown[] | undefined,
): { access: Access; interface: string; member: string } | string | undefined {
  const access =
    member === 'Get' ? 'get' : member === 'GetAll' ? 'getall' : member === 'Set' ? 'set' : undefined;
  if (!access) return undefined;
  const [iface, prop] = args ?? [];
  if (typeof iface !== 'string' || iface === '') {
    return `${PROPERTIES}.${member} is judged on the interface it names: give it as args[0]`;
  }
  if (access === 'getall') return { access, interface: iface, member: '' };
  if (typeof prop !== 'string' || prop === '') {
    return `${PROPERTIES}.${member} is judged on the property it names: give it as args[1]`;
  }
  return { access, interface: iface, member: prop };
}

/**
 * Resolves what an operation really is: the destination's names, the interface of a call that
 * omitted it (exactly one interface of the object must declare the method), and Properties
 * calls as property access. Without a connection (static explain), an omitted interface is
 * reported as `needsBus`.
 */
export async function resolveOperation(
  req: OperationRequest,
  conn: PolicyConnection | undefined,
  signal?: AbortSignal,
): Promise<Resolution> {
  const { owner, names } = await resolveNames(conn, req.destination, signal);
  const refuse = (reason: string, hint: string, needsBus?: boolean): Resolution => ({
    ok: false,
    reason,
    hint,
    names,
    owner,
    needsBus,
  });
  let iface = req.interface ?? '';
  let interfaceFrom: ResolvedOperation['interfaceFrom'];
  if (iface === '') {
    if (req.access !== 'call')
      return refuse('a property operation needs an interface name', 'pass the interface');
    if (!conn) {
      return refuse(
        `no interface given for ${req.member}: at run time it is resolved through introspection`,
        'pass the interface to explain the call statically',
        true,
      );
    }
    let found: string[];
    try {
      found = await conn.introspection.findInterfacesWithMember(req.destination, req.path, req.member, {
        signal,
        noAutoStart: true,
      });
    } catch (e) {
      return refuse(
        `no interface given for ${req.member} and ${req.destination} ${req.path} could not be introspected: ${errorMessage(e)}`,
        'pass the interface explicitly',
      );
    }
    if (found.length !== 1) {
      const why =
        found.length === 0
          ? `no interface of ${req.destination} ${req.path} declares a method ${req.member}`
          : `${req.member} is ambiguous on ${req.destination} ${req.path} (${found.join(', ')})`;
      return refuse(`no interface given: ${why}`, 'pass the interface explicitly');
    }
    iface = found[0] as string;
    interfaceFrom = 'introspection';
  }
  const op: ResolvedOperation = {
    bus: req.bus,
    destination: req.destination,
    owner,
    names,
    path: req.path,
    interface: iface,
    member: req.access === 'getall' ? '' : req.member,
    access: req.access,
    args: req.args,
    interfaceFrom,
  };
  if (req.access === 'call' && iface === PROPERTIES) {
    const prop = propertyCall(req.member, req.args);
    if (typeof prop === 'string')
      return refuse(prop, 'pass the interface and property names as string arguments');
    if (prop) {
      op.raw = { interface: iface, member: req.member };
      op.interface = prop.interface;
      op.member = prop.member;
      op.access = prop.access;
    }
  }
  return { ok: true, op };
}
