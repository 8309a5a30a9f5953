import type { Config } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';

/**
 * The bounds of one operation's arguments, checked before anything converts or judges them:
 * the number of array items and object entries (nested, all counted) and the size of their
 * serialized JSON. Both walks stop as soon as a bound is passed, so a 600,000-element array costs
 * no more than the first bound's worth of work.
 */
export type ArgumentBounds = Pick<Config, 'MAX_CALL_ARG_BYTES' | 'MAX_CALL_ARG_ELEMENTS'>;

function tooLarge(what: string, key: keyof ArgumentBounds, limit: number): AppError {
  return new AppError(
    'INVALID_ARGUMENT',
    `the arguments are too large: ${what} (the bound is ${limit}, ${key}); send less, or raise ${key} in the configuration`,
    { details: { bound: key, limit } },
  );
}

/** Items and entries of arrays and objects in `value`, nested; stops counting past `limit`. */
function countElements(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (ArrayBuffer.isView(v)) {
      count += 1; // one blob; its size is the byte bound's business
    } else {
      const items: unknown[] = Array.isArray(v) ? v : Object.values(v);
      count += items.length;
      if (count > limit) return count;
      for (const item of items) if (item !== null && typeof item === 'object') stack.push(item);
    }
    if (count > limit) return count;
  }
  return count;
}

/** Bytes of `value` as JSON (exact for plain JSON; BigInt as digits, byte arrays as numbers); stops past `limit`. */
function jsonBytes(value: unknown, limit: number): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && bytes <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') bytes += Buffer.byteLength(JSON.stringify(v));
    else if (typeof v === 'bigint') bytes += v.toString().length;
    else if (typeof v === 'number' || typeof v === 'boolean') bytes += JSON.stringify(v).length;
    else if (v === null || v === undefined || typeof v !== 'object') bytes += 4;
    else if (ArrayBuffer.isView(v)) bytes += 2 + 4 * v.byteLength;
    else if (Array.isArray(v)) {
      bytes += 2 + Math.max(0, v.length - 1);
      for (const item of v) stack.push(item);
    } else {
      const entries = Object.entries(v);
      bytes += 2 + Math.max(0, entries.length - 1);
      for (const [k, item] of entries) {
        bytes += Buffer.byteLength(JSON.stringify(k)) + 1;
        stack.push(item);
      }
    }
  }
  return bytes;
}

/**
 * Throws INVALID_ARGUMENT naming the bound and its configuration key when `args` hold more
 * elements than MAX_CALL_ARG_ELEMENTS or more JSON bytes than MAX_CALL_ARG_BYTES.
 */
export function checkArgumentBounds(args: readonly unknown[] | undefined, bounds: ArgumentBounds): void {
  if (args === undefined) return;
  const maxElements = bounds.MAX_CALL_ARG_ELEMENTS;
  // The argument list itself is not counted: `[ [1, 2, 3] ]` has three elements.
  const elements = countElements(args, maxElements + args.length) - args.length;
  if (elements > maxElements) {
    throw tooLarge(
      `more than ${maxElements} array items and object entries`,
      'MAX_CALL_ARG_ELEMENTS',
      maxElements,
    );
  }
  const maxBytes = bounds.MAX_CALL_ARG_BYTES;
  const bytes = jsonBytes(args, maxBytes);
  if (bytes > maxBytes) {
    throw tooLarge(`more than ${maxBytes} bytes of JSON`, 'MAX_CALL_ARG_BYTES', maxBytes);
  }
}
