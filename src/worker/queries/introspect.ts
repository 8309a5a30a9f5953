import type { IntrospectedNode } from '../dbus/introspection.js';
import type { BusKind } from '../dbus/types.js';
import { INTROSPECTABLE } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import type { OperationRequest } from '../policy/index.js';

/** What the policy judges for any look at an object's structure: an Introspect call. */
export function introspectRequest(bus: BusKind, service: string, path: string): OperationRequest {
  return { bus, destination: service, path, interface: INTROSPECTABLE, member: 'Introspect', access: 'call' };
}

/** Structured introspection of one object, through the gate (the tools and the dbus:// resources share it). */
export function introspectObject(
  gate: Gate,
  bus: BusKind,
  service: string,
  path: string,
  octx: OperationContext,
): Promise<IntrospectedNode> {
  return gate.run(introspectRequest(bus, service, path), octx, (op) => op.introspect());
}
