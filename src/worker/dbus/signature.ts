/**
 * D-Bus type signatures: a parser covering every type in the specification, and its inverse.
 *
 * Rules enforced (D-Bus specification, "Type System" and "Valid Signatures"): at most 255
 * bytes; only the type codes `y b n q i u x t d h s o g v` plus `a`, `(...)` and `a{..}`;
 * at most 32 nested arrays and 32 nested structs (dict entries counted separately, also 32);
 * a dict entry only as an array's element, with exactly a basic key type and one value type;
 * no empty structs. Errors are AppError('INVALID_SIGNATURE') naming the signature, the
 * 0-based offset of the offending character and what is wrong there.
 */
import { AppError } from '../../shared/errors.js';

export type BasicCode = 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'd' | 's' | 'o' | 'g' | 'h';

export type DBusType =
  | { kind: 'basic'; code: BasicCode }
  | { kind: 'variant' }
  | { kind: 'array'; element: DBusType }
  | { kind: 'dict'; key: DBusType; value: DBusType } // a{kv}
  | { kind: 'struct'; fields: DBusType[] };

/** Maximum length of a signature in bytes. */
export const MAX_SIGNATURE_LENGTH = 255;
/** Maximum nesting of arrays, and separately of structs (and of dict entries). */
export const MAX_NESTING = 32;

const BASIC_CODES: ReadonlySet<string> = new Set([
  'y',
  'b',
  'n',
  'q',
  'i',
  'u',
  'x',
  't',
  'd',
  's',
  'o',
  'g',
  'h',
]);
const RESERVED: Readonly<Record<string, string>> = {
  r: 'struct in GVariant notation; D-Bus writes structs as "(...)"',
  e: 'dict entry in GVariant notation; D-Bus writes dict entries as "{..}"',
  m: 'maybe type, reserved and not valid in D-Bus',
  '*': 'reserved code, not valid in D-Bus',
  '?': 'reserved code, not valid in D-Bus',
  '@': 'reserved code, not valid in D-Bus',
  '&': 'reserved code, not valid in D-Bus',
  '^': 'reserved code, not valid in D-Bus',
};

/** True when `code` is a basic (non-container) type code, the only kind allowed as a dict key. */
export function isBasicCode(code: string): code is BasicCode {
  return BASIC_CODES.has(code);
}

class Parser {
  private pos = 0;
  private arrays = 0;
  private structs = 0;
  private dicts = 0;

  constructor(private readonly sig: string) {}

  fail(at: number, what: string): never {
    throw new AppError(
      'INVALID_SIGNATURE',
      `invalid signature ${JSON.stringify(this.sig)} at offset ${at}: ${what}`,
      { details: { signature: this.sig, offset: at } },
    );
  }

  atEnd(): boolean {
    return this.pos >= this.sig.length;
  }

  get offset(): number {
    return this.pos;
  }

  /** Parses one complete type starting at the current position. */
  parseOne(): DBusType {
    const at = this.pos;
    const c = this.sig[this.pos];
    if (c === undefined) return this.fail(at, 'unexpected end, a complete type is missing');
    this.pos += 1;
    if (isBasicCode(c)) return { kind: 'basic', code: c };
    switch (c) {
      case 'v':
        return { kind: 'variant' };
      case 'a':
        return this.parseArray(at);
      case '(':
        return this.parseStruct(at);
      case ')':
        return this.fail(at, '")" without a matching "("');
      case '{':
        return this.fail(at, 'a dict entry "{" is only allowed as the element of an array ("a{")');
      case '}':
        return this.fail(at, '"}" without a matching "a{"');
      default: {
        const reserved = RESERVED[c];
        return this.fail(at, reserved ? `"${c}" is a ${reserved}` : `unknown type code ${JSON.stringify(c)}`);
      }
    }
  }

  private parseArray(at: number): DBusType {
    this.arrays += 1;
    if (this.arrays > MAX_NESTING) this.fail(at, `more than ${MAX_NESTING} nested arrays`);
    if (this.atEnd()) this.fail(this.pos, '"a" at the end, the array element type is missing');
    let t: DBusType;
    if (this.sig[this.pos] === '{') {
      t = this.parseDictEntry();
    } else {
      t = { kind: 'array', element: this.parseOne() };
    }
    this.arrays -= 1;
    return t;
  }

  private parseDictEntry(): DBusType {
    const open = this.pos;
    this.pos += 1;
    this.dicts += 1;
    if (this.dicts > MAX_NESTING) this.fail(open, `more than ${MAX_NESTING} nested dict entries`);
    const keyAt = this.pos;
    const kc = this.sig[keyAt];
    if (kc === undefined) this.fail(keyAt, 'unexpected end inside "a{", the key type is missing');
    if (kc === '}') this.fail(keyAt, 'empty dict entry "{}", it needs a key and a value type');
    if (!isBasicCode(kc)) {
      this.fail(
        keyAt,
        `dict entry key must be a basic type (one of ybnqiuxtdsogh), got ${JSON.stringify(kc)}`,
      );
    }
    const key = this.parseOne();
    if (this.sig[this.pos] === '}') this.fail(this.pos, 'dict entry has a key type but no value type');
    if (this.atEnd()) this.fail(this.pos, 'unexpected end inside "a{", the value type is missing');
    const value = this.parseOne();
    if (this.atEnd()) this.fail(this.pos, `unexpected end, "}" missing for the "{" at offset ${open}`);
    if (this.sig[this.pos] !== '}') {
      this.fail(this.pos, 'dict entry has more than two types (one key and one value allowed)');
    }
    this.pos += 1;
    this.dicts -= 1;
    return { kind: 'dict', key, value };
  }

  private parseStruct(open: number): DBusType {
    this.structs += 1;
    if (this.structs > MAX_NESTING) this.fail(open, `more than ${MAX_NESTING} nested structs`);
    if (this.sig[this.pos] === ')') this.fail(this.pos, 'empty struct "()" is not allowed');
    const fields: DBusType[] = [];
    while (this.sig[this.pos] !== ')') {
      if (this.atEnd()) this.fail(this.pos, `unexpected end, ")" missing for the "(" at offset ${open}`);
      fields.push(this.parseOne());
    }
    this.pos += 1;
    this.structs -= 1;
    return { kind: 'struct', fields };
  }
}

function checkInput(sig: unknown): string {
  if (typeof sig !== 'string') {
    throw new AppError('INVALID_SIGNATURE', `invalid signature: expected a string, got ${typeof sig}`);
  }
  const bytes = Buffer.byteLength(sig, 'utf8');
  if (bytes > MAX_SIGNATURE_LENGTH) {
    const shown = sig.length > 60 ? `${JSON.stringify(sig.slice(0, 60))}...` : JSON.stringify(sig);
    throw new AppError(
      'INVALID_SIGNATURE',
      `invalid signature ${shown} at offset ${MAX_SIGNATURE_LENGTH}: longer than ${MAX_SIGNATURE_LENGTH} bytes (${bytes})`,
      { details: { offset: MAX_SIGNATURE_LENGTH } },
    );
  }
  return sig;
}

/**
 * Parses a signature into its complete types, in order. The empty signature gives `[]`.
 * Throws AppError('INVALID_SIGNATURE') naming the signature, offset and problem.
 */
export function parseSignature(sig: string): DBusType[] {
  const p = new Parser(checkInput(sig));
  const types: DBusType[] = [];
  while (!p.atEnd()) types.push(p.parseOne());
  return types;
}

/**
 * Parses a signature that must hold exactly one complete type (a variant's signature, a
 * property type). Throws AppError('INVALID_SIGNATURE') for none, several, or an invalid one.
 */
export function parseSingleType(sig: string): DBusType {
  const p = new Parser(checkInput(sig));
  if (p.atEnd()) p.fail(0, 'empty, exactly one complete type expected');
  const t = p.parseOne();
  if (!p.atEnd()) p.fail(p.offset, 'exactly one complete type expected, but more types follow');
  return t;
}

/** The signature string of one complete type; `parseSingleType(formatType(t))` gives `t` back. */
export function formatType(t: DBusType): string {
  switch (t.kind) {
    case 'basic':
      return t.code;
    case 'variant':
      return 'v';
    case 'array':
      return `a${formatType(t.element)}`;
    case 'dict':
      return `a{${formatType(t.key)}${formatType(t.value)}}`;
    case 'struct':
      return `(${t.fields.map(formatType).join('')})`;
  }
}

/** The signature of a sequence of complete types (a message body). */
export function formatSignature(types: readonly DBusType[]): string {
  return types.map(formatType).join('');
}

/** True when `sig` is a valid signature (zero or more complete types) per the rules above. */
export function isValidSignature(sig: unknown): sig is string {
  try {
    parseSignature(sig as string);
    return true;
  } catch (e) {
    if (e instanceof AppError) return false;
    throw e;
  }
}
