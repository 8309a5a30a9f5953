/**
 * Variants as the rest of the worker sees them: made and recognised here, so that nothing
 * outside `dbus/` needs dbus-next's `Variant` class.
 */
import { Variant } from 'dbus-next';
import { AppError } from '../../../shared/errors.js';
import { parseSingleType } from '../signature.js';
import type { JsonValue } from './common.js';
import { fromDBus } from './from-dbus.js';

/** A D-Bus variant value as the wire encoder (wire.ts) and dbus-next carry it. */
export type DBusVariant = Variant;

/** A variant of type `signature` around `value`, which is already in D-Bus form (see to-dbus.ts). */
export function variant(signature: string, value: unknown): DBusVariant {
  return new Variant(signature, value);
}

/** True for a variant received from the bus or made with {@link variant}. */
export function isVariant(v: unknown): v is DBusVariant {
  return v instanceof Variant;
}

/** A variant from the wire → `{ signature, value }` in our JSON form; `what` names it in the error. */
export function variantToJson(v: unknown, what: string): { signature: string; value: JsonValue } {
  if (!isVariant(v)) throw new AppError('VALUE_CONVERSION', `${what}: the service did not answer a variant`);
  return { signature: v.signature, value: fromDBus(parseSingleType(v.signature), v.value) };
}

/** A variant from the wire as plain JSON (its value only); anything else is null. */
export function unwrapVariant(v: unknown): JsonValue {
  return isVariant(v) ? fromDBus(parseSingleType(v.signature), v.value) : null;
}
