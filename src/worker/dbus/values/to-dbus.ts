/**
 * JSON ↔ dbus-next values, per ARCHITECTURE.md "Values" (docs/TOOLS.md documents it for users).
 *
 * JSON → D-Bus (`toDBus`): `y n q i u` JSON integers, range-checked; `x t` decimal strings or
 * safe integers (full 64-bit range through strings), sent as BigInt; `d` numbers; `b`
 * booleans; `s` strings without NUL; `o` valid object paths; `g` valid signatures; arrays
 * from JSON arrays; `a{..}` from JSON objects (non-string keys in their JSON string form,
 * `"42"`, `"true"`); structs from JSON arrays of exactly their length; `v` from
 * `{ signature, value }` or a bare value with an inferred type (see infer.ts; an
 * object with exactly the keys `signature` (a string) and `value` is always the explicit
 * form, never a bare `a{sv}`); `ay` from `{ base64 }`, `{ text }` (UTF-8) or an array of
 * bytes, sent as a Buffer.
 *
 * D-Bus → JSON (`fromDBus`, from-dbus.ts): `x t` as decimal strings, `d` NaN/±Infinity as
 * the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, `ay` as `{ base64, text? }`, variants as
 * `{ signature, value }`, dict keys in their JSON string form.
 *
 * Everything is validated here, before anything is sent: an invalid value inside a message
 * (a bad object path in a variant) makes the bus drop the connection and hang the call. The
 * values go out through our own encoder (wire.ts), which carries every D-Bus type but `h`:
 * `d` NaN/±Infinity are sent from the same strings they are read as, the whole int64 range
 * goes through decimal strings, dict keys of every basic type but `h` are their JSON string form.
 * `h` is refused with AppError('UNSUPPORTED_TYPE'): no unix fd passing.
 */
import { Variant } from 'dbus-next';
import type { DBusType } from '../signature.js';
import { formatType, parseSignature, parseSingleType } from '../signature.js';
import { objectPathProblem } from '../names.js';
import {
  conversionError,
  DECIMAL,
  INT64_RANGES,
  INT_RANGES,
  isExplicitVariant,
  isPlainObject,
  keyPath,
  MAX_VALUE_DEPTH,
  setOwn,
  stringProblem,
  unsupportedError,
} from './common.js';
import { inferType } from './infer.js';
import { bytesFromJson } from './bytes.js';

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

type Basic = DBusType & { kind: 'basic' };

function int64ToDBus(type: Basic, value: unknown, at: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') {
    n = value;
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw conversionError(at, type, value, 'not an integer');
    if (!Number.isSafeInteger(value)) {
      throw conversionError(
        at,
        type,
        value,
        'beyond ±2^53 a JSON number is not exact: pass a decimal string',
      );
    }
    n = BigInt(value);
  } else if (typeof value === 'string' && DECIMAL.test(value)) {
    n = BigInt(value);
  } else {
    throw conversionError(at, type, value, 'not an integer or a decimal integer string');
  }
  const [min, max] = INT64_RANGES[type.code] ?? [0n, 0n];
  if (n < min || n > max) throw conversionError(at, type, value, `out of range ${min}..${max}`);
  return n;
}

function intToDBus(type: Basic, value: unknown, at: string): number {
  const [min, max] = INT_RANGES[type.code] ?? [0, 0];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw conversionError(at, type, value, 'not a JSON integer');
  }
  if (value < min || value > max) throw conversionError(at, type, value, `out of range ${min}..${max}`);
  return value === 0 ? 0 : value; // no -0
}

function basicToDBus(type: Basic, value: unknown, at: string): unknown {
  const code = type.code;
  switch (code) {
    case 'y':
    case 'n':
    case 'q':
    case 'i':
    case 'u':
      return intToDBus(type, value, at);
    case 'x':
    case 't':
      return int64ToDBus(type, value, at);
    case 'd':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      // JSON has no NaN or ±Infinity: they travel as the strings they are read as.
      if (typeof value === 'string' && NON_FINITE.has(value)) return Number(value);
      throw conversionError(at, type, value, 'not a number, "NaN", "Infinity" or "-Infinity"');
    case 'b':
      if (typeof value !== 'boolean') throw conversionError(at, type, value, 'not a boolean');
      return value;
    case 'h':
      throw unsupportedError(at, type, value, 'unix file descriptors cannot be carried by this server');
    case 's':
    case 'o':
    case 'g': {
      if (typeof value !== 'string') throw conversionError(at, type, value, 'not a string');
      const problem = stringProblem(value) ?? (code === 'o' ? objectPathProblem(value) : undefined);
      if (problem !== undefined) throw conversionError(at, type, value, problem);
      if (code === 'g') {
        try {
          parseSignature(value);
        } catch (e) {
          throw conversionError(at, type, value, (e as Error).message);
        }
      }
      return value;
    }
  }
}

/** A dict key as the encoder takes it (wire.ts): its canonical string, converted back to the key type there. */
function dictKeyToDBus(dict: DBusType & { kind: 'dict' }, key: string, at: string): string {
  const keyType = dict.key;
  if (keyType.kind !== 'basic') throw conversionError(at, dict, key, 'dict key type is not basic');
  const code = keyType.code;
  const bad = (why: string) => conversionError(at, dict, key, `key ${JSON.stringify(key)}: ${why}`);
  switch (code) {
    case 'b':
      if (key !== 'true' && key !== 'false') throw bad('a boolean key is "true" or "false"');
      return key;
    case 'h':
      throw unsupportedError(at, dict, key, 'unix file descriptors cannot be carried by this server');
    case 'd': {
      const n = NON_FINITE.has(key) ? Number(key) : key.trim() === '' ? NaN : Number(key);
      if (Number.isNaN(n) && key !== 'NaN')
        throw bad('a double key is a number, "NaN", "Infinity" or "-Infinity"');
      return String(n);
    }
    case 'x':
    case 't':
      if (!DECIMAL.test(key)) throw bad('a 64-bit integer key is a decimal integer string');
      return int64ToDBus(keyType, key, at).toString();
    case 's':
    case 'o':
    case 'g':
      basicToDBus(keyType, key, at);
      return key;
    default: {
      // y n q i u: the canonical decimal form of an in-range integer.
      if (!DECIMAL.test(key)) throw bad('an integer key is a decimal integer string');
      return String(basicToDBus(keyType, Number(key), at));
    }
  }
}

function variantToDBus(value: unknown, at: string, depth: number): Variant {
  if (isExplicitVariant(value)) {
    let inner: DBusType;
    try {
      inner = parseSingleType(value.signature);
    } catch (e) {
      throw conversionError(at, 'v', value, (e as Error).message);
    }
    return new Variant(formatType(inner), convert(inner, value.value, `${at}.value`, depth + 1));
  }
  const inner = inferType(value, at);
  return new Variant(formatType(inner), convert(inner, value, at, depth + 1));
}

function convert(type: DBusType, value: unknown, at: string, depth: number): unknown {
  if (depth > MAX_VALUE_DEPTH) {
    throw conversionError(at, type, value, `nested more than ${MAX_VALUE_DEPTH} containers deep`);
  }
  switch (type.kind) {
    case 'basic':
      return basicToDBus(type, value, at);
    case 'variant':
      return variantToDBus(value, at, depth);
    case 'array': {
      if (type.element.kind === 'basic' && type.element.code === 'y') return bytesFromJson(type, value, at);
      if (!Array.isArray(value)) throw conversionError(at, type, value, 'not a JSON array');
      return value.map((item: unknown, i) => convert(type.element, item, `${at}[${i}]`, depth + 1));
    }
    case 'dict': {
      if (!isPlainObject(value)) throw conversionError(at, type, value, 'not a JSON object');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const itemAt = keyPath(at, key);
        const dkey = dictKeyToDBus(type, key, itemAt);
        if (Object.hasOwn(out, dkey)) {
          throw conversionError(itemAt, type, value, `duplicate key (${JSON.stringify(dkey)} given twice)`);
        }
        setOwn(out, dkey, convert(type.value, value[key], itemAt, depth + 2));
      }
      return out;
    }
    case 'struct': {
      if (!Array.isArray(value)) throw conversionError(at, type, value, 'a struct is a JSON array');
      if (value.length !== type.fields.length) {
        throw conversionError(
          at,
          type,
          value,
          `a struct of ${type.fields.length} fields, got ${value.length}`,
        );
      }
      return type.fields.map((field, i) => convert(field, value[i], `${at}[${i}]`, depth + 1));
    }
  }
}

/**
 * Converts one JSON value to what our encoder (wire.ts) sends as D-Bus type `type`. `at` names the value
 * in errors (`args[0]`). Throws AppError('VALUE_CONVERSION') — message
 * `${at}: expected <sig>, got <value>: <why>` with `at` extended to the offending member
 * (`args[1].foo[2]`) — or AppError('UNSUPPORTED_TYPE') for `h`.
 */
export function toDBus(type: DBusType, value: unknown, at: string): unknown {
  return convert(type, value, at, 0);
}

/**
 * Converts call arguments for `signature` (zero or more complete types); the count must
 * match. Throws AppError('INVALID_SIGNATURE') for a bad signature, else as {@link toDBus},
 * with paths `args[0]`, `args[1]`, ...
 */
export function toDBusArgs(signature: string, args: unknown[]): unknown[] {
  const types = parseSignature(signature);
  if (!Array.isArray(args)) throw conversionError('args', signature, args, 'arguments are a JSON array');
  if (args.length !== types.length) {
    throw conversionError(
      'args',
      signature,
      args,
      `signature ${JSON.stringify(signature)} takes ${types.length} argument(s), got ${args.length}`,
    );
  }
  return types.map((t, i) => convert(t, args[i], `args[${i}]`, 0));
}
