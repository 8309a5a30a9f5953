import { AppError, errorMessage } from '../../shared/errors.js';
import type { BusConnection } from '../dbus/connection.js';
import type { DBusType } from '../dbus/signature.js';
import { formatType, isValidSignature, parseSingleType } from '../dbus/signature.js';
import { toDBus, toDBusArgs, variant } from '../dbus/values/index.js';
import { PROPERTIES, STANDARD_SIGNATURES } from '../dbus/well-known.js';
import type {
  OperationRequest,
  PrepareMessage,
  PreparedMessage,
  ResolvedOperation,
} from '../policy/index.js';

/**
 * The message of one operation, made after the policy resolved it and before it judges it: the
 * interface and member on the wire, the in-signature (the caller's, else the standard one of the
 * D-Bus interfaces, else introspection, else "" for a call without arguments) and the arguments
 * converted to D-Bus values. The policy judges these values and the gate sends exactly them.
 *
 * A property access (`get`, `getall`, `set` requests) becomes `org.freedesktop.DBus.Properties`
 * Get(ss), GetAll(s) or Set(ssv) with the judged interface and property; the value of a write is
 * converted to the property's type (`signature`, else introspection, which also refuses a
 * read-only property). Introspection here never starts a service (NO_AUTO_START): it happens
 * before anything is allowed.
 */
export function messagePreparer(
  conn: BusConnection,
  req: OperationRequest,
  signal: AbortSignal | undefined,
): PrepareMessage {
  const look = { signal, noAutoStart: true };
  return async (op: ResolvedOperation): Promise<PreparedMessage> => {
    if (!op.raw && op.access === 'get') {
      return { interface: PROPERTIES, member: 'Get', signature: 'ss', body: [op.interface, op.member] };
    }
    if (op.access === 'getall') {
      // What the reply will carry, so the policy can refuse a GetAll that returns a secret.
      const node = await conn.introspection.get(req.destination, op.path, look).catch(() => undefined);
      const properties = node?.interfaces.find((i) => i.name === op.interface)?.properties.map((p) => p.name);
      return {
        interface: PROPERTIES,
        member: 'GetAll',
        signature: 's',
        body: [op.interface],
        ...(properties ? { properties } : {}),
      };
    }
    if (!op.raw && op.access === 'set') {
      const type = await propertyType(conn, req, op, look);
      const sig = formatType(type);
      const value = variant(sig, toDBus(type, req.args?.[0], 'value'));
      return {
        interface: PROPERTIES,
        member: 'Set',
        signature: 'ssv',
        body: [op.interface, op.member, value],
      };
    }
    // A method call, including a Properties call that the policy judged as the property access.
    const iface = op.raw?.interface ?? op.interface;
    const member = op.raw?.member ?? op.member;
    const args = req.args ?? [];
    const signature = await inSignature(conn, req, iface, member, args.length, look);
    return { interface: iface, member, signature, body: toDBusArgs(signature, args) };
  };
}

async function inSignature(
  conn: BusConnection,
  req: OperationRequest,
  iface: string,
  member: string,
  argCount: number,
  look: { signal?: AbortSignal; noAutoStart: boolean },
): Promise<string> {
  if (req.signature !== undefined) {
    if (!isValidSignature(req.signature)) {
      throw new AppError('INVALID_SIGNATURE', `signature ${JSON.stringify(req.signature)} is not valid`);
    }
    return req.signature;
  }
  const standard = STANDARD_SIGNATURES[iface]?.[member];
  if (standard !== undefined) return standard;
  let failed = '';
  try {
    const info = await conn.introspection.method(req.destination, req.path, iface, member, look);
    if (info) {
      return info.args
        .filter((a) => a.direction !== 'out')
        .map((a) => a.type)
        .join('');
    }
  } catch (e) {
    failed = ` (it could not be introspected: ${errorMessage(e)})`;
  }
  if (argCount === 0) return '';
  throw new AppError(
    'SIGNATURE_UNKNOWN',
    `introspection of ${req.destination} ${req.path} does not describe ${iface}.${member}${failed}; ` +
      'pass `signature` (the D-Bus types of the in-arguments, e.g. "su")',
  );
}

async function propertyType(
  conn: BusConnection,
  req: OperationRequest,
  op: ResolvedOperation,
  look: { signal?: AbortSignal; noAutoStart: boolean },
): Promise<DBusType> {
  if (req.signature !== undefined) return parseSingleType(req.signature);
  const info = await conn.introspection.property(req.destination, op.path, op.interface, op.member, look);
  if (!info) {
    throw new AppError(
      'SIGNATURE_UNKNOWN',
      `introspection of ${req.destination} ${op.path} does not list property ${op.interface}.${op.member}; pass \`signature\``,
    );
  }
  if (info.access === 'read') {
    throw new AppError(
      'INVALID_ARGUMENT',
      `property ${op.interface}.${op.member} is read-only (introspection says access="read")`,
    );
  }
  return parseSingleType(info.type);
}
