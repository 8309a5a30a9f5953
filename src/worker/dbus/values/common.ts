/**
 * Shared pieces of the JSON ↔ D-Bus conversion: the JSON value type, error construction
 * (every conversion error names the argument path, the expected signature and the value) and
 * path building.
 */
import { AppError } from '../../../shared/errors.js';
import type { DBusType } from '../signature.js';
import { formatType } from '../signature.js';

/** A value that survives `JSON.stringify`/`JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Ranges of the D-Bus integer types that fit a JSON number exactly. */
export const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  y: [0, 0xff],
  n: [-0x8000, 0x7fff],
  q: [0, 0xffff],
  i: [-0x80000000, 0x7fffffff],
  u: [0, 0xffffffff],
};

/** Ranges of the 64-bit D-Bus integer types. */
export const INT64_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  x: [-(2n ** 63n), 2n ** 63n - 1n],
  t: [0n, 2n ** 64n - 1n],
};

/** A decimal integer as text: how 64-bit values and integer dict keys travel in JSON. */
export const DECIMAL = /^-?\d+$/;

/** How much of an offending value an error message shows. */
const PREVIEW_CHARS = 200;

/**
 * Total container nesting (arrays, structs, dict entries and variants) a message may carry;
 * dbus-daemon drops a connection that sends more (libdbus: 2 × 32).
 */
export const MAX_VALUE_DEPTH = 64;

/** A short JSON rendering of any value for error messages (BigInt and Buffer included). */
export function preview(value: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v.toString()}n`;
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return v;
    });
  } catch {
    s = undefined;
  }
  if (s === undefined) s = value === undefined ? 'undefined' : String(value);
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
}

/** AppError('VALUE_CONVERSION') in the catalogue's shape: `${at}: expected <sig>, got <value>: <why>`. */
export function conversionError(at: string, type: DBusType | string, value: unknown, why: string): AppError {
  const sig = typeof type === 'string' ? type : formatType(type);
  return new AppError('VALUE_CONVERSION', `${at}: expected ${sig}, got ${preview(value)}: ${why}`, {
    details: { at, signature: sig },
  });
}

/** AppError('UNSUPPORTED_TYPE') in the same shape, for types and values this server cannot carry. */
export function unsupportedError(at: string, type: DBusType | string, value: unknown, why: string): AppError {
  const sig = typeof type === 'string' ? type : formatType(type);
  return new AppError('UNSUPPORTED_TYPE', `${at}: expected ${sig}, got ${preview(value)}: ${why}`, {
    details: { at, signature: sig },
  });
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path of a member: `args[1].foo`, or `args[1]["a b"]` when the key is not an identifier. */
export function keyPath(at: string, key: string): string {
  return IDENT.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}

/** True for a plain JSON object (not null, not an array, not a Buffer or class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Sets an own enumerable property, so that a key named `__proto__` stays a key instead of
 * replacing the prototype.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True when `s` is `{ signature: string, value }` and nothing else: the explicit variant form. */
export function isExplicitVariant(v: unknown): v is { signature: string; value: unknown } {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return (
    keys.length === 2 &&
    keys.includes('signature') &&
    keys.includes('value') &&
    typeof v.signature === 'string'
  );
}

// A lone UTF-16 surrogate cannot be encoded as UTF-8 (D-Bus strings must be valid UTF-8).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Index of the first lone UTF-16 surrogate in `s` (not encodable as UTF-8), or -1. */
export function loneSurrogateIndex(s: string): number {
  return LONE_SURROGATE.exec(s)?.index ?? -1;
}

/** Why `s` cannot be a D-Bus string (NUL byte, lone surrogate), or undefined when it can. */
export function stringProblem(s: string): string | undefined {
  const nul = s.indexOf('\0');
  if (nul !== -1) return `D-Bus strings cannot contain NUL (U+0000, at index ${nul})`;
  const lone = loneSurrogateIndex(s);
  if (lone !== -1) return `lone UTF-16 surrogate at index ${lone} cannot be encoded as UTF-8`;
  return undefined;
}
