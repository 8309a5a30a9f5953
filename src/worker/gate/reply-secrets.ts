import type { CallReply, PreparedMessage, SignalMessage } from '../dbus/types.js';
import { OBJECT_MANAGER, PROPERTIES } from '../dbus/well-known.js';
import { isSecretProperty } from '../policy/index.js';

type Properties = Record<string, unknown>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);

/** `props` of `iface` without the properties that hold a secret (`Password`, `ClientSecret`, a Telepathy account's `Parameters`). */
function withoutSecretProperties(iface: string, props: Properties): Properties {
  return Object.fromEntries(Object.entries(props).filter(([name]) => !isSecretProperty(iface, name)));
}

/** Each interface's properties of one object (`a{sa{sv}}`) without the secret ones. */
function interfacesWithoutSecrets(ifaces: unknown): unknown {
  if (!isRecord(ifaces)) return ifaces;
  return Object.fromEntries(
    Object.entries(ifaces).map(([iface, props]) => [
      iface,
      isRecord(props) ? withoutSecretProperties(iface, props) : props,
    ]),
  );
}

/**
 * The reply of a read that returns properties in bulk (`Properties.GetAll`, `ObjectManager.
 * GetManagedObjects`) without the properties that hold a secret. The policy judges a GetAll
 * on the properties introspection lists, and refuses the services it knows to hold secrets; this
 * covers what it cannot see in advance (a service whose introspection is silent or wrong, the
 * managed objects of a service no entry knows). Other replies pass unchanged.
 */
export function replyWithoutSecrets(message: PreparedMessage, reply: CallReply): CallReply {
  const [first, ...rest] = reply.body;
  if (message.interface === PROPERTIES && message.member === 'GetAll' && isRecord(first)) {
    const iface = typeof message.body[0] === 'string' ? message.body[0] : '';
    return { ...reply, body: [withoutSecretProperties(iface, first), ...rest] };
  }
  if (message.interface === OBJECT_MANAGER && message.member === 'GetManagedObjects' && isRecord(first)) {
    const objects = Object.fromEntries(
      Object.entries(first).map(([path, ifaces]) => [path, interfacesWithoutSecrets(ifaces)]),
    );
    return { ...reply, body: [objects, ...rest] };
  }
  return reply;
}

/**
 * A signal that carries property values without the secret ones: `PropertiesChanged` (a changed
 * secret is named in the invalidated list instead, so the agent learns that it changed, not its
 * value) and `InterfacesAdded` (every property of a new object). Other signals pass unchanged.
 */
export function signalWithoutSecrets(msg: SignalMessage): SignalMessage {
  const body = msg.body;
  if (msg.interface === PROPERTIES && msg.member === 'PropertiesChanged' && typeof body[0] === 'string') {
    const [iface, changed, invalidated] = body;
    if (!isRecord(changed)) return msg;
    const secret = Object.keys(changed).filter((name) => isSecretProperty(iface, name));
    if (secret.length === 0) return msg;
    const before = Array.isArray(invalidated) ? (invalidated as unknown[]) : [];
    return {
      ...msg,
      body: [iface, withoutSecretProperties(iface, changed), [...before, ...secret], ...body.slice(3)],
    };
  }
  if (msg.interface === OBJECT_MANAGER && msg.member === 'InterfacesAdded') {
    return { ...msg, body: [body[0], interfacesWithoutSecrets(body[1]), ...body.slice(2)] };
  }
  return msg;
}
