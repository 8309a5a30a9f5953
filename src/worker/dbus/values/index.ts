/**
 * JSON ↔ D-Bus values (ARCHITECTURE.md "Values"; docs/TOOLS.md for users): `toDBus*` converts
 * and validates what a caller gives, `fromDBus*` turns what the bus answers into JSON.
 */
export type { JsonValue } from './common.js';
export { DECIMAL, INT64_RANGES, INT_RANGES } from './common.js';
export { toDBus, toDBusArgs } from './to-dbus.js';
export { fromDBus, fromDBusArgs } from './from-dbus.js';
export { inferSignature, inferType } from './infer.js';
export type { DBusVariant } from './variant.js';
export { isVariant, unwrapVariant, variant, variantToJson } from './variant.js';
