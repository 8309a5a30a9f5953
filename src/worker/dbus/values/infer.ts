/**
 * Type inference for bare JSON values sent where D-Bus expects a variant (`v`).
 *
 * Rules (ARCHITECTURE.md, "Values"): boolean → `b`; integer → `i`, or `x` beyond int32 (`d`
 * beyond int64); other number → `d`; string → `s`; array → `a` of the elements' common type,
 * else `av` (an empty array is `av`); object → `a{sv}`; an explicit `{ signature, value }`
 * object → `v`. Numbers widen to a common type (`i` → `x` → `d`), so `[1, 2.5]` is `ad`, and
 * arrays of arrays unify element-wise, an empty inner array fitting any array type.
 */
import type { DBusType } from '../signature.js';
import { formatType, MAX_NESTING } from '../signature.js';
import { conversionError, isExplicitVariant, isPlainObject, keyPath, MAX_VALUE_DEPTH } from './common.js';

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const INT64_LIMIT = 2 ** 63;

const VARIANT: DBusType = { kind: 'variant' };
const A_SV: DBusType = { kind: 'dict', key: { kind: 'basic', code: 's' }, value: VARIANT };
/** The type of `[]`: `av`, but compatible with every array type when unifying. */
const EMPTY_ARRAY: DBusType = { kind: 'array', element: VARIANT };

const NUMERIC_RANK: Readonly<Record<string, number>> = { i: 1, x: 2, d: 3 };

function sameType(a: DBusType, b: DBusType): boolean {
  return formatType(a) === formatType(b);
}

/** The narrowest type both `a` and `b` fit, or undefined when they have none (short of `v`). */
function unify(a: DBusType, b: DBusType): DBusType | undefined {
  if (a === EMPTY_ARRAY && b.kind === 'array') return b;
  if (b === EMPTY_ARRAY && a.kind === 'array') return a;
  if (a.kind === 'basic' && b.kind === 'basic') {
    if (a.code === b.code) return a;
    const ra = NUMERIC_RANK[a.code];
    const rb = NUMERIC_RANK[b.code];
    if (ra === undefined || rb === undefined) return undefined;
    return ra >= rb ? a : b;
  }
  if (a.kind === 'array' && b.kind === 'array') {
    const element = unify(a.element, b.element);
    return element === undefined ? undefined : { kind: 'array', element };
  }
  return sameType(a, b) ? a : undefined;
}

function arrayDepth(t: DBusType): number {
  return t.kind === 'array' ? 1 + arrayDepth(t.element) : t.kind === 'dict' ? 1 : 0;
}

function inferNumber(n: number, at: string): DBusType {
  if (!Number.isFinite(n)) throw conversionError(at, 'v', n, 'a non-finite number has no D-Bus type');
  if (Number.isInteger(n)) {
    if (n >= INT32_MIN && n <= INT32_MAX) return { kind: 'basic', code: 'i' };
    if (n >= -INT64_LIMIT && n < INT64_LIMIT) return { kind: 'basic', code: 'x' };
  }
  return { kind: 'basic', code: 'd' };
}

function inferArray(items: unknown[], at: string, depth: number): DBusType {
  if (items.length === 0) return EMPTY_ARRAY;
  let common: DBusType | undefined;
  for (const [i, item] of items.entries()) {
    const t = infer(item, `${at}[${i}]`, depth + 1);
    common = common === undefined ? t : unify(common, t);
    if (common === undefined) return { kind: 'array', element: VARIANT };
  }
  // A common type that would break the signature's nesting limit falls back to `av`.
  if (common === undefined || arrayDepth(common) >= MAX_NESTING) return { kind: 'array', element: VARIANT };
  return { kind: 'array', element: common };
}

function infer(value: unknown, at: string, depth: number): DBusType {
  if (depth > MAX_VALUE_DEPTH) {
    throw conversionError(at, 'v', value, `nested more than ${MAX_VALUE_DEPTH} levels deep`);
  }
  switch (typeof value) {
    case 'boolean':
      return { kind: 'basic', code: 'b' };
    case 'number':
      return inferNumber(value, at);
    case 'bigint':
      return { kind: 'basic', code: 'x' };
    case 'string':
      return { kind: 'basic', code: 's' };
    default:
      break;
  }
  if (Array.isArray(value)) return inferArray(value, at, depth);
  if (isExplicitVariant(value)) return VARIANT;
  if (isPlainObject(value)) {
    // The values become variants; checking them early gives the error its precise path.
    for (const [k, v] of Object.entries(value)) infer(v, keyPath(at, k), depth + 2);
    return A_SV;
  }
  const why =
    value === null
      ? 'null has no D-Bus type (pass {"signature": ..., "value": ...} or omit the value)'
      : `a ${typeof value} value has no D-Bus type`;
  throw conversionError(at, 'v', value, why);
}

/**
 * The D-Bus type a bare JSON value gets when sent where a variant is expected.
 * Throws AppError('VALUE_CONVERSION') naming `at` for values with no type (null, undefined,
 * functions) or nested beyond the D-Bus limit.
 */
export function inferType(value: unknown, at: string): DBusType {
  return infer(value, at, 0);
}

/** {@link inferType} as a signature string (`i`, `as`, `a{sv}`, `av`, ...). */
export function inferSignature(value: unknown, at: string): string {
  return formatType(inferType(value, at));
}
