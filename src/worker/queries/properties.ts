import type { BusKind } from '../dbus/types.js';
import type { JsonValue } from '../dbus/values/index.js';
import { unwrapVariant, variantToJson } from '../dbus/values/index.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import type { OperationKind, OperationRequest } from '../policy/index.js';

/** One interface of one object. */
export interface PropertyTarget {
  bus: BusKind;
  destination: string;
  path: string;
  interface: string;
}

/** The policy's request for reading every property of `target` (Properties.GetAll). */
export function getAllRequest(
  target: PropertyTarget,
  opts: { autoStart?: boolean; kind?: OperationKind } = {},
): OperationRequest {
  return {
    ...target,
    member: '',
    access: 'getall',
    ...(opts.kind ? { kind: opts.kind } : {}),
    ...(opts.autoStart ? { autoStart: true } : {}),
  };
}

/** Properties.GetAll through the gate: the answer's dict of variants, as the bus sent it. */
export async function getAllRaw(
  gate: Gate,
  req: OperationRequest,
  octx: OperationContext,
): Promise<Record<string, unknown>> {
  return gate.run(req, octx, async (op) => {
    const reply = await op.call();
    return (reply.body[0] ?? {}) as Record<string, unknown>;
  });
}

/** Every property of `target` as `{ signature, value }` (get_all_properties). */
export async function readTypedProperties(
  gate: Gate,
  req: OperationRequest,
  octx: OperationContext,
): Promise<Record<string, { signature: string; value: JsonValue }>> {
  const all = await getAllRaw(gate, req, octx);
  const out: Record<string, { signature: string; value: JsonValue }> = {};
  for (const name of Object.keys(all)) out[name] = variantToJson(all[name], `${req.interface}.${name}`);
  return out;
}

/**
 * Every property of `target` as plain JSON values (the task tools read state this way), judged as
 * a read. Does not start the service unless `autoStart`.
 */
export async function readProperties(
  gate: Gate,
  target: PropertyTarget,
  octx: OperationContext,
  opts: { autoStart?: boolean } = {},
): Promise<Record<string, JsonValue>> {
  const all = await getAllRaw(gate, getAllRequest(target, { ...opts, kind: 'read' }), octx);
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(all)) out[k] = unwrapVariant(v);
  return out;
}
