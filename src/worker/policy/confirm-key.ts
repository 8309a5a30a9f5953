/**
 * What a human's confirmation is bound to: the full canonical operation — bus, resolved destination
 * (its owner), path, interface, member, signature, whether it may start the service, and every
 * argument in full, as the D-Bus values that will be sent — hashed. An answer given for one operation fits no other, however alike the
 * text shown for them (arguments are cut and secrets redacted in the question, never in the key).
 */
import { createHash } from 'node:crypto';
import { isVariant } from '../dbus/values/index.js';
import type { OperationRequest, ResolvedOperation } from './resolve.js';

/** A D-Bus value (or its JSON form) as canonical JSON: integers, bytes and variants spelled unambiguously. */
export function canonicalValue(v: unknown): unknown {
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (typeof v === 'number') return Number.isInteger(v) ? { $int: String(v) } : { $double: String(v) };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
  if (isVariant(v)) return { $variant: v.signature, value: canonicalValue(v.value) };
  if (Array.isArray(v)) return v.map(canonicalValue);
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { $dict: entries.map(([k, x]) => [k, canonicalValue(x)]) };
  }
  return v ?? null;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The operation a confirmation is for, exactly as it will be sent. */
export function canonicalOperation(req: OperationRequest, op: ResolvedOperation | undefined): unknown {
  const message = op?.message;
  return {
    bus: req.bus,
    destination: op?.owner ?? req.destination,
    path: op?.path ?? req.path,
    interface: message?.interface ?? op?.interface ?? req.interface ?? '',
    member: message?.member ?? op?.member ?? req.member,
    access: op?.access ?? req.access,
    judgedAs: op ? `${op.interface}.${op.member}` : undefined,
    kind: req.kind ?? null,
    signature: message?.signature ?? req.signature ?? null,
    // Whether the call may start the service is part of what it does.
    autoStart: req.autoStart === true,
    args: canonicalValue(message ? message.body : (req.args ?? [])),
  };
}

/** The key a confirmation answer is filed under: a hash of the canonical operation. */
export function confirmationKey(req: OperationRequest, op: ResolvedOperation | undefined): string {
  return sha256(JSON.stringify(canonicalOperation(req, op)));
}

/** A short digest of the full arguments (shown with arguments that are cut or redacted). */
export function argumentsDigest(req: OperationRequest, op: ResolvedOperation | undefined): string {
  const args = op?.message ? op.message.body : (req.args ?? []);
  return `sha256:${sha256(JSON.stringify(canonicalValue(args))).slice(0, 16)}`;
}
