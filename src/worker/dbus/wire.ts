// Over 300 lines on purpose: one encoder, header and body, each type's case next to the others.
import { Variant } from 'dbus-next';
import type { BasicCode, DBusType } from './signature.js';
import { formatType, parseSignature } from './signature.js';
import { DECIMAL, INT64_RANGES, INT_RANGES } from './values/common.js';

/**
 * Encodes outgoing METHOD_CALL messages ourselves (D-Bus specification, "Message Protocol",
 * little-endian). dbus-next's marshaller builds a tree of closures per message (24 µs and ~40 KiB
 * of garbage for one Properties.Get, bench/README.md); this writes the bytes straight into one
 * buffer. Input values are in dbus-next's shape — what values/to-dbus.ts produces and the tools
 * pass: numbers, BigInt for `x`/`t`, booleans, strings, Buffers for `ay`, arrays, plain objects for
 * dicts (keys as strings), `Variant` for `v` — so replies and signals stay dbus-next's business.
 * Values are validated (values/to-dbus.ts did the user-facing checks); a value that does not fit its type
 * throws a plain Error naming the type, which the caller reports as VALUE_CONVERSION.
 */

export interface MethodCall {
  serial: number;
  destination: string;
  path: string;
  interface?: string;
  member: string;
  signature: string;
  body: readonly unknown[];
  /** Header flags, e.g. NO_AUTO_START (0x2). */
  flags: number;
}

const METHOD_CALL = 1;
const PROTOCOL_VERSION = 1;
const FIELD = { path: 1, interface: 2, member: 3, destination: 6, signature: 8 } as const;

const ALIGN: Readonly<Record<BasicCode, number>> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  s: 4,
  o: 4,
  g: 1,
  h: 4,
};
/** Parsed signatures by text: a worker sends the same few signatures over and over. */
const parsed = new Map<string, DBusType[]>();
const PARSED_CACHE_MAX = 512;

function typesOf(signature: string): DBusType[] {
  let types = parsed.get(signature);
  if (!types) {
    types = parseSignature(signature);
    if (parsed.size >= PARSED_CACHE_MAX) parsed.clear();
    parsed.set(signature, types);
  }
  return types;
}

function alignOf(t: DBusType): number {
  switch (t.kind) {
    case 'basic':
      return ALIGN[t.code];
    case 'variant':
      return 1;
    case 'array':
    case 'dict':
      return 4;
    case 'struct':
      return 8;
  }
}

class Writer {
  buf = Buffer.alloc(256);
  pos = 0;

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Zero padding up to a multiple of `n` (the buffer is zero-filled: moving is enough). */
  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    this.reserve(pad);
    this.pos += pad;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.align(4);
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  bytes(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** `s` and `o`: UINT32 length, UTF-8 bytes, NUL. */
  string(v: string): void {
    const len = Buffer.byteLength(v, 'utf8');
    this.u32(len);
    this.reserve(len + 1);
    this.buf.write(v, this.pos, 'utf8');
    this.pos += len;
    this.buf[this.pos++] = 0;
  }

  /** `g`: BYTE length, ASCII, NUL. */
  signature(v: string): void {
    if (v.length > 255) throw new Error(`signature longer than 255 bytes: '${v.slice(0, 40)}…'`);
    this.u8(v.length);
    this.reserve(v.length + 1);
    this.buf.write(v, this.pos, 'latin1');
    this.pos += v.length;
    this.buf[this.pos++] = 0;
  }
}

function fail(code: string, value: unknown, why = ''): never {
  const shown =
    typeof value === 'bigint'
      ? `${value}n`
      : typeof value === 'string'
        ? JSON.stringify(value)
        : String(value);
  throw new Error(
    `expected a value of D-Bus type '${code}', got ${shown.slice(0, 60)}${why ? ` (${why})` : ''}`,
  );
}

function writeBasic(w: Writer, code: BasicCode, v: unknown): void {
  switch (code) {
    case 'y':
    case 'n':
    case 'q':
    case 'i':
    case 'u': {
      const [min, max] = INT_RANGES[code] as readonly [number, number];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        fail(code, v, `${min}..${max}`);
      w.align(ALIGN[code]);
      w.reserve(ALIGN[code]);
      if (code === 'y') w.buf[w.pos] = v;
      else if (code === 'n') w.buf.writeInt16LE(v, w.pos);
      else if (code === 'q') w.buf.writeUInt16LE(v, w.pos);
      else if (code === 'i') w.buf.writeInt32LE(v, w.pos);
      else w.buf.writeUInt32LE(v, w.pos);
      w.pos += ALIGN[code];
      return;
    }
    case 'x':
    case 't': {
      const n =
        typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      const [min, max] = INT64_RANGES[code] as readonly [bigint, bigint];
      if (n === undefined || n < min || n > max)
        fail(code, v, 'a 64-bit integer as BigInt or a safe integer');
      w.align(8);
      w.reserve(8);
      if (code === 'x') w.buf.writeBigInt64LE(n, w.pos);
      else w.buf.writeBigUInt64LE(n, w.pos);
      w.pos += 8;
      return;
    }
    case 'd':
      if (typeof v !== 'number') fail(code, v);
      w.align(8);
      w.reserve(8);
      w.buf.writeDoubleLE(v, w.pos);
      w.pos += 8;
      return;
    case 'b':
      if (typeof v !== 'boolean') fail(code, v);
      w.u32(v ? 1 : 0);
      return;
    case 's':
    case 'o':
      if (typeof v !== 'string') fail(code, v);
      w.string(v);
      return;
    case 'g':
      if (typeof v !== 'string') fail(code, v);
      w.signature(v);
      return;
    case 'h':
      throw new Error("unix file descriptors (type 'h') cannot be sent by this server");
  }
}

/** A dict key arrives as an object key (a string); it becomes a value of the key's basic type. */
function dictKey(code: BasicCode, key: string): unknown {
  switch (code) {
    case 'y':
    case 'n':
    case 'q':
    case 'i':
    case 'u':
    case 'd':
      return Number(key);
    case 'x':
    case 't':
      return DECIMAL.test(key) ? BigInt(key) : key;
    case 'b':
      return key === 'true' ? true : key === 'false' ? false : key;
    default:
      return key;
  }
}

function write(w: Writer, t: DBusType, v: unknown): void {
  switch (t.kind) {
    case 'basic':
      return writeBasic(w, t.code, v);
    case 'variant': {
      if (!(v instanceof Variant)) fail('v', v, 'a Variant');
      const inner = typesOf(v.signature);
      if (inner.length !== 1) fail('v', v.signature, 'a variant holds exactly one complete type');
      w.signature(v.signature);
      return write(w, inner[0] as DBusType, v.value);
    }
    case 'array': {
      w.u32(0); // length, patched below
      const lengthAt = w.pos - 4;
      w.align(alignOf(t.element));
      const start = w.pos;
      const el = t.element;
      if (el.kind === 'basic' && el.code === 'y' && v instanceof Uint8Array) w.bytes(v);
      else {
        if (!Array.isArray(v)) fail(formatType(t), v, 'an array');
        for (const item of v) write(w, el, item);
      }
      w.buf.writeUInt32LE(w.pos - start, lengthAt);
      return;
    }
    case 'dict': {
      if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype)
        fail(formatType(t), v, 'a plain object');
      w.u32(0);
      const lengthAt = w.pos - 4;
      w.align(8);
      const start = w.pos;
      const keyCode = (t.key as { code: BasicCode }).code;
      for (const [key, value] of Object.entries(v)) {
        w.align(8);
        writeBasic(w, keyCode, dictKey(keyCode, key));
        write(w, t.value, value);
      }
      w.buf.writeUInt32LE(w.pos - start, lengthAt);
      return;
    }
    case 'struct': {
      if (!Array.isArray(v) || v.length !== t.fields.length)
        fail(formatType(t), v, `an array of ${t.fields.length}`);
      w.align(8);
      t.fields.forEach((field, i) => write(w, field, v[i]));
      return;
    }
  }
}

function headerField(w: Writer, code: number, sig: 'o' | 's' | 'g', value: string): void {
  w.align(8);
  w.u8(code);
  w.signature(sig);
  if (sig === 'g') w.signature(value);
  else w.string(value);
}

/** The complete message: fixed header, header fields, padding to 8, body. */
export function encodeMethodCall(m: MethodCall): Buffer {
  const types = m.signature === '' ? [] : typesOf(m.signature);
  if (types.length !== m.body.length) {
    throw new Error(
      `the body has ${m.body.length} values for signature '${m.signature}' (${types.length} types)`,
    );
  }
  const w = new Writer();
  w.u8(0x6c); // 'l': little-endian
  w.u8(METHOD_CALL);
  w.u8(m.flags);
  w.u8(PROTOCOL_VERSION);
  w.u32(0); // body length, patched below
  w.u32(m.serial);
  w.u32(0); // header fields array length, patched below
  const fieldsStart = w.pos; // 16: already 8-aligned
  headerField(w, FIELD.path, 'o', m.path);
  if (m.interface) headerField(w, FIELD.interface, 's', m.interface);
  headerField(w, FIELD.member, 's', m.member);
  headerField(w, FIELD.destination, 's', m.destination);
  if (m.signature !== '') headerField(w, FIELD.signature, 'g', m.signature);
  w.buf.writeUInt32LE(w.pos - fieldsStart, 12);
  w.align(8);
  const bodyStart = w.pos;
  types.forEach((t, i) => write(w, t, m.body[i]));
  w.buf.writeUInt32LE(w.pos - bodyStart, 4);
  return w.buf.subarray(0, w.pos);
}
