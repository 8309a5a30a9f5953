/**
 * `ay` ↔ JSON. Out: `{ base64, text? }`, `text` present when the bytes are valid UTF-8 (a
 * leading BOM kept). In: `{ base64 }` (standard alphabet, padded), `{ base64, text }` when
 * both agree (what we hand out comes back as is), `{ text }` (encoded as UTF-8), or an array
 * of integers 0..255.
 */
import type { DBusType } from '../signature.js';
import { conversionError, isPlainObject, loneSurrogateIndex } from './common.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Bytes as JSON: `{ base64, text? }`. */
export function bytesToJson(bytes: Uint8Array): { base64: string; text?: string } {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  try {
    return { base64, text: UTF8.decode(bytes) };
  } catch {
    return { base64 };
  }
}

function textToBytes(type: DBusType, value: unknown, text: unknown, at: string): Buffer {
  if (typeof text !== 'string') throw conversionError(at, type, value, '"text" is not a string');
  const lone = loneSurrogateIndex(text);
  if (lone !== -1) throw conversionError(at, type, value, `lone UTF-16 surrogate at index ${lone} in "text"`);
  return Buffer.from(text, 'utf8');
}

/**
 * JSON → a Buffer for `ay` (dbus-next sends a Buffer as a byte array, also inside variants).
 * Throws AppError('VALUE_CONVERSION') naming `at` for anything else.
 */
export function bytesFromJson(type: DBusType, value: unknown, at: string): Buffer {
  if (Array.isArray(value)) {
    for (const [i, b] of value.entries()) {
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
        throw conversionError(`${at}[${i}]`, 'y', b, 'a byte is an integer in 0..255');
      }
    }
    return Buffer.from(value as number[]);
  }
  if (value instanceof Uint8Array) return Buffer.from(value);
  const form = 'bytes are {"base64": ...}, {"text": ...} or an array of integers 0..255';
  if (!isPlainObject(value)) throw conversionError(at, type, value, form);
  const keys = Object.keys(value);
  if (keys.some((k) => k !== 'base64' && k !== 'text') || keys.length === 0) {
    throw conversionError(at, type, value, form);
  }
  if (value.base64 === undefined) return textToBytes(type, value, value.text, at);
  if (typeof value.base64 !== 'string' || !BASE64.test(value.base64)) {
    throw conversionError(at, type, value, '"base64" is not padded standard base64');
  }
  const bytes = Buffer.from(value.base64, 'base64');
  if (value.text !== undefined && !textToBytes(type, value, value.text, at).equals(bytes)) {
    throw conversionError(at, type, value, '"base64" and "text" disagree (give one of them)');
  }
  return bytes;
}
