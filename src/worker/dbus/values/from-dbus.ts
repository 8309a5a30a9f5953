/**
 * D-Bus → JSON: turns the values dbus-next hands back (numbers, BigInt for `x`/`t`, Buffer
 * for `ay`, `Variant` objects, plain objects for `a{..}`) into JSON per ARCHITECTURE.md
 * "Values". The result always survives `JSON.stringify` unchanged.
 */
import type { DBusType } from '../signature.js';
import { parseSignature, parseSingleType } from '../signature.js';
import type { JsonValue } from './common.js';
import {
  conversionError,
  DECIMAL,
  INT_RANGES,
  isPlainObject,
  keyPath,
  setOwn,
  unsupportedError,
} from './common.js';
import { bytesToJson } from './bytes.js';

/** A double as JSON: finite numbers as they are, NaN and ±Infinity as strings. */
export function doubleToJson(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

function int64ToJson(type: DBusType, value: unknown, at: string): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
  if (typeof value === 'string' && DECIMAL.test(value)) return value;
  throw conversionError(at, type, value, 'not a 64-bit integer');
}

function basicFromDBus(type: DBusType & { kind: 'basic' }, value: unknown, at: string): JsonValue {
  const code = type.code;
  const range = INT_RANGES[code];
  if (range !== undefined) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw conversionError(at, type, value, `not an integer in ${range[0]}..${range[1]}`);
    }
    return value;
  }
  switch (code) {
    case 'x':
    case 't':
      return int64ToJson(type, value, at);
    case 'd':
      if (typeof value !== 'number') throw conversionError(at, type, value, 'not a number');
      return doubleToJson(value);
    case 'b':
      if (typeof value !== 'boolean') throw conversionError(at, type, value, 'not a boolean');
      return value;
    case 'h':
      throw unsupportedError(at, type, value, 'unix file descriptors cannot be carried by this server');
    default:
      if (typeof value !== 'string') throw conversionError(at, type, value, 'not a string');
      return value;
  }
}

function dictKeyToJson(key: unknown): string {
  if (typeof key === 'number') return String(doubleToJson(key));
  if (typeof key === 'string') return key;
  return String(key);
}

function entriesOf(value: unknown): [unknown, unknown][] | undefined {
  if (value instanceof Map) return [...(value as Map<unknown, unknown>).entries()];
  if (isPlainObject(value)) return Object.entries(value);
  return undefined;
}

function variantParts(value: unknown): { signature: string; value: unknown } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { signature?: unknown; value?: unknown };
  return typeof v.signature === 'string' && 'value' in v
    ? { signature: v.signature, value: v.value }
    : undefined;
}

/**
 * Converts one value received from dbus-next, of D-Bus type `type`, to JSON. `at` names it in
 * errors (default `value`). Throws AppError('VALUE_CONVERSION') when the value does not have
 * the shape dbus-next gives that type, AppError('UNSUPPORTED_TYPE') for `h`.
 */
export function fromDBus(type: DBusType, value: unknown, at = 'value'): JsonValue {
  switch (type.kind) {
    case 'basic':
      return basicFromDBus(type, value, at);
    case 'variant': {
      const parts = variantParts(value);
      if (parts === undefined) throw conversionError(at, type, value, 'not a Variant');
      let inner: DBusType;
      try {
        inner = parseSingleType(parts.signature);
      } catch (e) {
        throw conversionError(at, type, value, (e as Error).message);
      }
      return { signature: parts.signature, value: fromDBus(inner, parts.value, `${at}.value`) };
    }
    case 'array': {
      if (type.element.kind === 'basic' && type.element.code === 'y') {
        if (value instanceof Uint8Array) return bytesToJson(value);
        if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
          return bytesToJson(Uint8Array.from(value as number[]));
        }
        throw conversionError(at, type, value, 'not a byte array');
      }
      if (!Array.isArray(value)) throw conversionError(at, type, value, 'not an array');
      return value.map((item, i) => fromDBus(type.element, item, `${at}[${i}]`));
    }
    case 'dict': {
      const entries = entriesOf(value);
      if (entries === undefined) throw conversionError(at, type, value, 'not a dictionary object');
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of entries) {
        const key = dictKeyToJson(k);
        setOwn(out, key, fromDBus(type.value, v, keyPath(at, key)));
      }
      return out;
    }
    case 'struct': {
      if (!Array.isArray(value) || value.length !== type.fields.length) {
        throw conversionError(at, type, value, `not a struct of ${type.fields.length} fields`);
      }
      return type.fields.map((field, i) => fromDBus(field, value[i], `${at}[${i}]`));
    }
  }
}

/**
 * Converts a message body received from dbus-next (`values` with `signature`) to JSON, one
 * entry per complete type; the count must match. Errors as {@link fromDBus}, paths `values[0]`, ...
 */
export function fromDBusArgs(signature: string, values: unknown[]): JsonValue[] {
  const types = parseSignature(signature);
  if (!Array.isArray(values) || values.length !== types.length) {
    throw conversionError(
      'values',
      signature,
      values,
      `signature ${JSON.stringify(signature)} has ${types.length} value(s), got ${Array.isArray(values) ? values.length : 'no array'}`,
    );
  }
  return types.map((t, i) => fromDBus(t, values[i], `values[${i}]`));
}
