import type { CallReply, PreparedMessage } from '../dbus/types.js';
import { OBJECT_MANAGER, PROPERTIES } from '../dbus/well-known.js';
import { propertyFloor } from '../policy/index.js';

type Properties = Record<string, unknown>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);

/** `props` without the properties whose names hold a secret (`Password`, `ClientSecret`, `AccessToken`). */
function withoutSecretProperties(props: Properties): Properties {
  return Object.fromEntries(Object.entries(props).filter(([name]) => !propertyFloor(name, 'get')));
}

/**
 * The reply of a read that returns properties in bulk (`Properties.GetAll`, `ObjectManager.
 * GetManagedObjects`) without the properties whose names hold a secret. The policy judges a GetAll
 * on the properties introspection lists, and refuses the services it knows to hold secrets; this
 * covers what it cannot see in advance (a service whose introspection is silent or wrong, the
 * managed objects of a service no entry knows). Other replies pass unchanged.
 */
export function replyWithoutSecrets(message: PreparedMessage, reply: CallReply): CallReply {
  const [first, ...rest] = reply.body;
  if (message.interface === PROPERTIES && message.member === 'GetAll' && isRecord(first)) {
    return { ...reply, body: [withoutSecretProperties(first), ...rest] };
  }
  if (message.interface === OBJECT_MANAGER && message.member === 'GetManagedObjects' && isRecord(first)) {
    const objects = Object.fromEntries(
      Object.entries(first).map(([path, ifaces]) => [
        path,
        isRecord(ifaces)
          ? Object.fromEntries(
              Object.entries(ifaces).map(([iface, props]) => [
                iface,
                isRecord(props) ? withoutSecretProperties(props) : props,
              ]),
            )
          : ifaces,
      ]),
    );
    return { ...reply, body: [objects, ...rest] };
  }
  return reply;
}
