import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Variant } from 'dbus-next';
import { AppError, type ErrorCode } from '../../../../../src/shared/errors.js';
import {
  fromDBus,
  fromDBusArgs,
  inferSignature,
  toDBus,
  toDBusArgs,
  type JsonValue,
} from '../../../../../src/worker/dbus/values/index.js';
import { parseSingleType } from '../../../../../src/worker/dbus/signature.js';

const T = parseSingleType;
const to = (sig: string, value: unknown, at = 'args[0]') => toDBus(T(sig), value, at);
const from = (sig: string, value: unknown) => fromDBus(T(sig), value);

/** Asserts a conversion error with `code` whose message matches `re`. */
function refuses(fn: () => unknown, re: RegExp, code: ErrorCode = 'VALUE_CONVERSION'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError, `not an AppError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

const INTEGERS: [string, number, number][] = [
  ['y', 0, 255],
  ['n', -32768, 32767],
  ['q', 0, 65535],
  ['i', -2147483648, 2147483647],
  ['u', 0, 4294967295],
];

describe('integers y n q i u', () => {
  for (const [sig, min, max] of INTEGERS) {
    test(`${sig}: JSON integers in ${min}..${max}, both ways`, () => {
      for (const v of [min, max, 0, 1]) {
        assert.equal(to(sig, v), v);
        assert.equal(from(sig, v), v);
      }
      refuses(
        () => to(sig, min - 1),
        new RegExp(`^args\\[0\\]: expected ${sig}, got ${min - 1}: out of range ${min}\\.\\.${max}$`),
      );
      refuses(() => to(sig, max + 1), /out of range/);
      refuses(() => to(sig, 1.5), /got 1\.5: not a JSON integer/);
      refuses(() => to(sig, '1'), /got "1": not a JSON integer/);
      refuses(() => to(sig, null), /got null: not a JSON integer/);
      refuses(() => to(sig, true), /not a JSON integer/);
      refuses(() => from(sig, max + 1), /not an integer in/);
    });
  }

  test('-0 is sent as 0', () => {
    assert.ok(Object.is(to('i', -0), 0));
  });
});

describe('64-bit integers x t', () => {
  const X_MIN = -(2n ** 63n);
  const X_MAX = 2n ** 63n - 1n;
  const T_MAX = 2n ** 64n - 1n;

  test('decimal strings or safe integers in, BigInt to dbus-next', () => {
    assert.equal(to('x', '9223372036854775807'), X_MAX);
    assert.equal(to('x', '-9223372036854775807'), X_MIN + 1n);
    assert.equal(to('x', -42), -42n);
    assert.equal(to('x', Number.MIN_SAFE_INTEGER), BigInt(Number.MIN_SAFE_INTEGER));
    assert.equal(to('t', '18446744073709551615'), T_MAX);
    assert.equal(to('t', '0'), 0n);
    assert.equal(to('t', Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER));
    assert.equal(to('t', 7n), 7n);
  });

  test('decimal strings out, at the extremes of both', () => {
    assert.equal(from('x', X_MIN), '-9223372036854775808');
    assert.equal(from('x', X_MAX), '9223372036854775807');
    assert.equal(from('t', T_MAX), '18446744073709551615');
    assert.equal(from('t', 0n), '0');
    assert.equal(from('x', -5), '-5');
  });

  test('range and form errors', () => {
    refuses(() => to('x', '9223372036854775808'), /out of range -9223372036854775808\.\.9223372036854775807/);
    refuses(() => to('x', '-9223372036854775809'), /out of range/);
    refuses(() => to('t', '18446744073709551616'), /out of range 0\.\.18446744073709551615/);
    refuses(() => to('t', '-1'), /out of range/);
    refuses(() => to('t', -1), /out of range/);
    refuses(() => to('x', 2 ** 60), /beyond ±2\^53 a JSON number is not exact: pass a decimal string/);
    refuses(() => to('x', 1.5), /not an integer/);
    for (const bad of ['1.5', '0x10', ' 1', '1e3', '', '+1', true, null, []]) {
      refuses(() => to('x', bad), /not an integer or a decimal integer string/);
    }
  });

  test('the whole int64 range goes out, the minimum included', () => {
    assert.equal(to('x', '-9223372036854775808'), -(2n ** 63n));
    assert.equal(to('t', '18446744073709551615'), 2n ** 64n - 1n);
  });
});

describe('doubles d', () => {
  test('numbers both ways; NaN and ±Infinity out as strings', () => {
    for (const v of [0, -1.5, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324, 2 ** 60]) {
      assert.equal(to('d', v), v);
      assert.equal(from('d', v), v);
    }
    assert.equal(from('d', NaN), 'NaN');
    assert.equal(from('d', Infinity), 'Infinity');
    assert.equal(from('d', -Infinity), '-Infinity');
  });

  test('NaN and ±Infinity go out from the strings they are read as', () => {
    assert.ok(Number.isNaN(to('d', 'NaN')));
    assert.equal(to('d', 'Infinity'), Infinity);
    assert.equal(to('d', '-Infinity'), -Infinity);
  });

  test('anything else is refused', () => {
    for (const bad of ['1.5', true, null, [1], Infinity]) refuses(() => to('d', bad), /not a number/);
  });
});

describe('booleans, strings, paths, signatures, fds', () => {
  test('b: booleans only', () => {
    assert.equal(to('b', true), true);
    assert.equal(to('b', false), false);
    assert.equal(from('b', true), true);
    refuses(() => to('b', 1), /got 1: not a boolean/);
    refuses(() => to('b', 'true'), /not a boolean/);
  });

  test('s: any string without NUL that encodes as UTF-8', () => {
    for (const s of ['', 'héllo ✓ 😀', 'line\nbreak', 'x'.repeat(10_000)]) {
      assert.equal(to('s', s), s);
      assert.equal(from('s', s), s);
    }
    refuses(() => to('s', 'a\u0000b'), /cannot contain NUL \(U\+0000, at index 1\)/);
    refuses(() => to('s', 'a\uD800b'), /lone UTF-16 surrogate at index 1/);
    refuses(() => to('s', '\uDC00'), /lone UTF-16 surrogate at index 0/);
    refuses(() => to('s', 5), /not a string/);
  });

  test('o: valid object paths only', () => {
    assert.equal(to('o', '/'), '/');
    assert.equal(to('o', '/org/example/A_1'), '/org/example/A_1');
    refuses(
      () => to('o', 'relative'),
      /^args\[0\]: expected o, got "relative": an object path starts with "\/"$/,
    );
    refuses(() => to('o', '/a/'), /only the root path/);
    refuses(() => to('o', '/a-b'), /may only contain/);
    refuses(() => to('o', ''), /starts with/);
  });

  test('g: valid signatures only (the empty one included)', () => {
    assert.equal(to('g', ''), '');
    assert.equal(to('g', 'a{sv}(ii)'), 'a{sv}(ii)');
    refuses(() => to('g', 'a{vs}'), /expected g, got "a\{vs\}": invalid signature "a\{vs\}" at offset 2/);
    refuses(() => to('g', '('), /invalid signature/);
  });

  test('h is refused both ways', () => {
    refuses(() => to('h', 3), /unix file descriptors/, 'UNSUPPORTED_TYPE');
    refuses(() => from('h', 3), /unix file descriptors/, 'UNSUPPORTED_TYPE');
    refuses(() => to('v', { signature: 'h', value: 0 }), /args\[0\]\.value: expected h/, 'UNSUPPORTED_TYPE');
    refuses(() => to('a{hs}', { '1': 'x' }), /unix file descriptors/, 'UNSUPPORTED_TYPE');
  });
});

describe('byte arrays ay', () => {
  test('out: base64, plus text when the bytes are valid UTF-8', () => {
    assert.deepEqual(from('ay', Buffer.from('héllo')), { base64: 'aMOpbGxv', text: 'héllo' });
    assert.deepEqual(from('ay', Buffer.from([0xff, 0x00])), { base64: '/wA=' });
    assert.deepEqual(from('ay', Buffer.alloc(0)), { base64: '', text: '' });
    assert.deepEqual(from('ay', Buffer.from([0xef, 0xbb, 0xbf, 0x41])), {
      base64: '77u/QQ==',
      text: '\uFEFFA',
    });
    assert.deepEqual(from('ay', [1, 2]), { base64: 'AQI=', text: '\u0001\u0002' });
    assert.deepEqual(from('ay', Buffer.from('abcdef').subarray(2, 4)), { base64: 'Y2Q=', text: 'cd' });
  });

  test('in: {base64}, {text}, both when they agree, or an array of bytes', () => {
    assert.deepEqual(to('ay', { base64: '/wA=' }), Buffer.from([0xff, 0]));
    assert.deepEqual(to('ay', { text: 'héllo' }), Buffer.from('héllo'));
    assert.deepEqual(to('ay', { base64: 'aMOpbGxv', text: 'héllo' }), Buffer.from('héllo'));
    assert.deepEqual(to('ay', [0, 255, 7]), Buffer.from([0, 255, 7]));
    assert.deepEqual(to('ay', []), Buffer.alloc(0));
    assert.deepEqual(to('ay', { text: 'nul\u0000ok' }), Buffer.from('nul\u0000ok'));
    assert.ok(Buffer.isBuffer(to('ay', [1])));
  });

  test('what comes out goes back in unchanged', () => {
    for (const bytes of [Buffer.from('text'), Buffer.from([0xc3, 0x28]), Buffer.alloc(0)]) {
      assert.deepEqual(to('ay', from('ay', bytes)), bytes);
    }
  });

  test('bad forms are refused with the offending element', () => {
    refuses(
      () => to('ay', [1, 256]),
      /^args\[0\]\[1\]: expected y, got 256: a byte is an integer in 0\.\.255$/,
    );
    refuses(() => to('ay', [1, -1]), /args\[0\]\[1\]/);
    refuses(() => to('ay', [0.5]), /a byte is an integer/);
    refuses(() => to('ay', { base64: 'not base64!' }), /not padded standard base64/);
    refuses(() => to('ay', { base64: 'AQI' }), /not padded standard base64/);
    refuses(() => to('ay', { base64: 'AQI=', text: 'x' }), /disagree/);
    refuses(() => to('ay', { text: 5 }), /"text" is not a string/);
    refuses(() => to('ay', { text: '\uD800' }), /lone UTF-16 surrogate/);
    refuses(() => to('ay', 'plain string'), /bytes are \{"base64": \.\.\.\}, \{"text": \.\.\.\} or an array/);
    refuses(() => to('ay', {}), /bytes are/);
    refuses(() => to('ay', { base64: '', extra: 1 }), /bytes are/);
    refuses(() => from('ay', 'x'), /not a byte array/);
  });

  test('arrays of byte arrays', () => {
    assert.deepEqual(to('aay', [{ text: 'a' }, []]), [Buffer.from('a'), Buffer.alloc(0)]);
    assert.deepEqual(from('aay', [Buffer.from('a'), Buffer.alloc(0)]), [
      { base64: 'YQ==', text: 'a' },
      { base64: '', text: '' },
    ]);
  });
});

describe('arrays and structs', () => {
  test('arrays: empty, nested, element errors name their index', () => {
    assert.deepEqual(to('as', []), []);
    assert.deepEqual(to('aai', [[], [1, 2]]), [[], [1, 2]]);
    assert.deepEqual(to('ax', ['1', 2]), [1n, 2n]);
    assert.deepEqual(from('at', [0n, 2n ** 64n - 1n]), ['0', '18446744073709551615']);
    assert.deepEqual(from('aas', [[], ['a']]), [[], ['a']]);
    refuses(
      () => to('aai', [[1], [2, 'x']]),
      /^args\[0\]\[1\]\[1\]: expected i, got "x": not a JSON integer$/,
    );
    refuses(() => to('as', 'a'), /expected as, got "a": not a JSON array/);
    refuses(() => to('as', { 0: 'a' }), /not a JSON array/);
    refuses(() => from('as', 'a'), /not an array/);
  });

  test('structs: JSON arrays of exactly their length', () => {
    const all = [
      255,
      true,
      -32768,
      65535,
      -2147483648,
      4294967295,
      '9223372036854775807',
      '18446744073709551615',
      -0.5,
      's',
      '/o',
      'a{sv}',
    ];
    const sent = to('(ybnqiuxtdsog)', all);
    assert.deepEqual(sent, [
      255,
      true,
      -32768,
      65535,
      -2147483648,
      4294967295,
      2n ** 63n - 1n,
      2n ** 64n - 1n,
      -0.5,
      's',
      '/o',
      'a{sv}',
    ]);
    assert.deepEqual(from('(ybnqiuxtdsog)', sent), all);
    assert.deepEqual(to('a(is)', []), []);
    assert.deepEqual(to('(i(s(d)))', [1, ['a', [2.5]]]), [1, ['a', [2.5]]]);
    refuses(() => to('(ii)', [1]), /a struct of 2 fields, got 1/);
    refuses(() => to('(ii)', [1, 2, 3]), /a struct of 2 fields, got 3/);
    refuses(() => to('(ii)', { a: 1 }), /a struct is a JSON array/);
    refuses(
      () =>
        to('a(is)', [
          [1, 's'],
          [2, 3],
        ]),
      /^args\[0\]\[1\]\[1\]: expected s, got 3: not a string$/,
    );
    refuses(() => from('(ii)', [1]), /not a struct of 2 fields/);
  });
});

describe('dicts a{..}', () => {
  test('JSON objects both ways, empty and nested', () => {
    assert.deepEqual(to('a{ss}', {}), {});
    assert.deepEqual(to('a{ss}', { a: 'b', '': 'empty' }), { a: 'b', '': 'empty' });
    assert.deepEqual(to('a{sa{si}}', { x: { y: 1 }, z: {} }), { x: { y: 1 }, z: {} });
    assert.deepEqual(from('a{sa{si}}', { x: { y: 1 }, z: {} }), { x: { y: 1 }, z: {} });
    refuses(() => to('a{ss}', []), /expected a\{ss\}, got \[\]: not a JSON object/);
    refuses(() => to('a{ss}', null), /not a JSON object/);
    refuses(() => to('a{si}', { ok: 1, 'bad key': 'x' }), /^args\[0\]\["bad key"\]: expected i, got "x"/);
    refuses(() => to('a{sa{si}}', { x: { y: 'z' } }), /^args\[0\]\.x\.y: expected i/);
    refuses(() => from('a{ss}', 'x'), /not a dictionary object/);
  });

  test('keys of every basic type come out in their JSON string form', () => {
    // dbus-next hands dicts over as plain objects whose keys JavaScript already stringified.
    const cases: [string, Record<string, unknown>, Record<string, JsonValue>][] = [
      ['a{ys}', { 0: 'a', 255: 'b' }, { '0': 'a', '255': 'b' }],
      ['a{bs}', { true: 'a', false: 'b' }, { true: 'a', false: 'b' }],
      ['a{ns}', { '-32768': 'a' }, { '-32768': 'a' }],
      ['a{qs}', { 65535: 'a' }, { '65535': 'a' }],
      ['a{is}', { '-2147483648': 'a' }, { '-2147483648': 'a' }],
      ['a{us}', { 4294967295: 'a' }, { '4294967295': 'a' }],
      ['a{xs}', { '-9223372036854775808': 'a' }, { '-9223372036854775808': 'a' }],
      ['a{ts}', { '18446744073709551615': 'a' }, { '18446744073709551615': 'a' }],
      ['a{ds}', { '1.5': 'a', NaN: 'b', '-Infinity': 'c' }, { '1.5': 'a', NaN: 'b', '-Infinity': 'c' }],
      ['a{ss}', { s: 'a' }, { s: 'a' }],
      ['a{os}', { '/a': 'a' }, { '/a': 'a' }],
      ['a{gs}', { 'a{sv}': 'a' }, { 'a{sv}': 'a' }],
    ];
    for (const [sig, value, json] of cases) assert.deepEqual(from(sig, value), json, sig);
    // A Map with typed keys (not what dbus-next gives, but unambiguous) reads the same way.
    assert.deepEqual(
      from(
        'a{tb}',
        new Map([
          [2n ** 64n - 1n, true],
          [0n, false],
        ]),
      ),
      { '18446744073709551615': true, '0': false },
    );
  });

  test('keys in: parsed from their JSON string form, canonical for dbus-next', () => {
    assert.deepEqual(to('a{ys}', { '0': 'a', '255': 'b' }), { '0': 'a', '255': 'b' });
    assert.deepEqual(to('a{ns}', { '-32768': 'a', '007': 'b' }), { '-32768': 'a', '7': 'b' });
    assert.deepEqual(to('a{qs}', { '65535': 'a' }), { '65535': 'a' });
    assert.deepEqual(to('a{is}', { '-2147483648': 'a', '-0': 'z' }), { '-2147483648': 'a', '0': 'z' });
    assert.deepEqual(to('a{bs}', { true: 'a', false: 'b' }), { true: 'a', false: 'b' });
    assert.deepEqual(to('a{xs}', { '-9007199254740991': 'a' }), { '-9007199254740991': 'a' });
    assert.deepEqual(to('a{ts}', { '9007199254740991': 'a' }), { '9007199254740991': 'a' });
    assert.deepEqual(to('a{os}', { '/': 'a' }), { '/': 'a' });
    assert.deepEqual(to('a{gs}', { '': 'a', v: 'b' }), { '': 'a', v: 'b' });
  });

  test('bad keys are refused, naming the key', () => {
    refuses(
      () => to('a{ys}', { '256': 'a' }),
      /^args\[0\]\["256"\]: expected y, got 256: out of range 0\.\.255$/,
    );
    refuses(() => to('a{is}', { '1.5': 'a' }), /key "1\.5": an integer key is a decimal integer string/);
    refuses(() => to('a{is}', { abc: 'a' }), /^args\[0\]\.abc: expected a\{is\}, got "abc": key "abc"/);
    refuses(() => to('a{bs}', { yes: 'a' }), /a boolean key is "true" or "false"/);
    refuses(() => to('a{os}', { 'not/a/path': 'a' }), /an object path starts with/);
    refuses(() => to('a{gs}', { '(': 'a' }), /invalid signature/);
    refuses(() => to('a{ss}', { 'a\u0000': 'a' }), /NUL/);
    refuses(() => to('a{xs}', { x: 'a' }), /a 64-bit integer key is a decimal integer string/);
    refuses(() => to('a{ns}', { '7': 'a', '07': 'b' }), /duplicate key \("7" given twice\)/);
  });

  test('keys of types u and d, and 64-bit keys of any size, go out in canonical form', () => {
    assert.deepEqual(to('a{us}', { '4294967295': 'a', '07': 'b' }), { '4294967295': 'a', '7': 'b' });
    assert.deepEqual(to('a{ds}', { '1.50': 'a', NaN: 'b', '-Infinity': 'c' }), {
      '1.5': 'a',
      NaN: 'b',
      '-Infinity': 'c',
    });
    assert.deepEqual(to('a{ts}', { '18446744073709551615': 'a' }), { '18446744073709551615': 'a' });
    assert.deepEqual(to('a{xs}', { '-9223372036854775808': 'a' }), { '-9223372036854775808': 'a' });
    refuses(() => to('a{ds}', { abc: 'a' }), /a double key is a number/);
    refuses(() => to('a{ds}', { '': 'a' }), /a double key is a number/);
    refuses(() => to('a{us}', { '4294967296': 'a' }), /out of range/);
    refuses(() => to('a{ds}', { '1.5': 'a', '1.50': 'b' }), /duplicate key/);
  });

  test('a key named __proto__ stays a key', () => {
    const input = JSON.parse('{"__proto__": "x", "a": "y"}') as unknown;
    const sent = to('a{ss}', input) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sent), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(sent), Object.prototype);
    const back = from('a{ss}', sent) as Record<string, unknown>;
    assert.equal(JSON.stringify(back), '{"__proto__":"x","a":"y"}');
  });
});

describe('variants', () => {
  test('explicit {signature, value} in, Variant to dbus-next, {signature, value} out', () => {
    const v = to('v', { signature: 'u', value: 7 });
    assert.ok(v instanceof Variant);
    assert.equal(v.signature, 'u');
    assert.equal(v.value, 7);
    assert.deepEqual(from('v', new Variant('u', 7)), { signature: 'u', value: 7 });
    assert.deepEqual(from('v', new Variant('t', 2n ** 64n - 1n)), {
      signature: 't',
      value: '18446744073709551615',
    });
    assert.deepEqual(from('v', new Variant('d', NaN)), { signature: 'd', value: 'NaN' });
  });

  test('variants holding containers and variants, both ways', () => {
    const json: JsonValue = {
      signature: 'a{sv}',
      value: {
        list: { signature: 'aa{sv}', value: [{}, { n: { signature: 'n', value: -1 } }] },
        struct: {
          signature: '(oav)',
          value: ['/p', [{ signature: 'ay', value: { base64: 'AA==', text: '\u0000' } }]],
        },
        inner: { signature: 'v', value: { signature: 'v', value: { signature: 's', value: 'deep' } } },
        empty: { signature: 'as', value: [] },
      },
    };
    const sent = to('v', json);
    assert.ok(sent instanceof Variant);
    const inner = (sent.value as Record<string, Variant>).inner;
    assert.ok(inner instanceof Variant && inner.value instanceof Variant);
    assert.deepEqual(from('v', sent), json);
  });

  test('bare values get an inferred signature', () => {
    const cases: [unknown, JsonValue][] = [
      [1, { signature: 'i', value: 1 }],
      [-2147483648, { signature: 'i', value: -2147483648 }],
      [2147483648, { signature: 'x', value: '2147483648' }],
      [2.5, { signature: 'd', value: 2.5 }],
      [1e300, { signature: 'd', value: 1e300 }],
      ['s', { signature: 's', value: 's' }],
      [false, { signature: 'b', value: false }],
      [[], { signature: 'av', value: [] }],
      [[1, 2], { signature: 'ai', value: [1, 2] }],
      [[1, 2.5], { signature: 'ad', value: [1, 2.5] }],
      [[1, 2 ** 40], { signature: 'ax', value: ['1', '1099511627776'] }],
      [
        [1, 'a'],
        {
          signature: 'av',
          value: [
            { signature: 'i', value: 1 },
            { signature: 's', value: 'a' },
          ],
        },
      ],
      [{}, { signature: 'a{sv}', value: {} }],
      [{ a: [true] }, { signature: 'a{sv}', value: { a: { signature: 'ab', value: [true] } } }],
      [[[], ['x']], { signature: 'aas', value: [[], ['x']] }],
    ];
    for (const [value, json] of cases)
      assert.deepEqual(from('v', to('v', value)), json, JSON.stringify(value));
  });

  test('bad object paths inside variants are refused before dbus-next sees them', () => {
    refuses(() => to('v', { signature: 'o', value: 'bad' }), /^args\[0\]\.value: expected o, got "bad"/);
    refuses(
      () => to('a{sv}', { p: { signature: 'ao', value: ['/ok', '/bad/'] } }),
      /^args\[0\]\.p\.value\[1\]: expected o, got "\/bad\/": only the root path/,
    );
    refuses(
      () => to('av', [{ signature: 'v', value: { signature: '(o)', value: ['//'] } }]),
      /^args\[0\]\[0\]\.value\.value\[0\]: expected o/,
    );
    refuses(() => to('v', { signature: 'a{ov}', value: { 'x y': 1 } }), /an object path starts with/);
  });

  test('invalid explicit signatures and untypable values are refused', () => {
    refuses(
      () => to('v', { signature: 'a{vs}', value: {} }),
      /^args\[0\]: expected v, got .*invalid signature "a\{vs\}"/,
    );
    refuses(() => to('v', { signature: 'ii', value: 1 }), /exactly one complete type/);
    refuses(() => to('v', { signature: '', value: 1 }), /empty, exactly one complete type/);
    refuses(() => to('v', null), /^args\[0\]: expected v, got null: null has no D-Bus type/);
    refuses(() => to('v', undefined), /got undefined/);
    refuses(() => to('a{sv}', { a: 1, b: null }), /^args\[0\]\.b: expected v, got null/);
    refuses(() => to('v', [1, [null]]), /^args\[0\]\[1\]\[0\]: expected v, got null/);
    refuses(() => from('v', 5), /not a Variant/);
    refuses(() => from('v', new Variant('a{vs}', {})), /invalid signature/);
  });

  test('an object with extra keys next to signature/value is a dict, not an explicit variant', () => {
    const sent = to('v', { signature: 's', value: 'x', other: 1 });
    assert.ok(sent instanceof Variant);
    assert.equal(sent.signature, 'a{sv}');
  });

  test('nesting deeper than the 64 containers D-Bus allows is refused', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 70; i += 1) deep = { signature: 'v', value: deep };
    refuses(() => to('v', deep), /nested more than 64 containers deep/);
    let ok: unknown = 1;
    for (let i = 0; i < 60; i += 1) ok = { signature: 'v', value: ok };
    assert.ok(to('v', ok) instanceof Variant);
    let arrays: unknown = 1;
    for (let i = 0; i < 70; i += 1) arrays = [arrays];
    refuses(() => to('v', arrays), /nested more than 64/);
  });
});

describe('inferSignature', () => {
  test('the rules of ARCHITECTURE.md "Values"', () => {
    const cases: [unknown, string][] = [
      [0, 'i'],
      [2147483647, 'i'],
      [-2147483649, 'x'],
      [2 ** 62, 'x'],
      [2 ** 63, 'd'],
      [0.1, 'd'],
      ['', 's'],
      [true, 'b'],
      [[], 'av'],
      [['a', 'b'], 'as'],
      [[1, 2 ** 40, 0.5], 'ad'],
      [[true, 1], 'av'],
      [[[], [1]], 'aai'],
      [[[1], [2.5]], 'aad'],
      [[[1], ['a']], 'av'],
      [[{}, { a: 1 }], 'aa{sv}'],
      [[{}, []], 'av'],
      [{ a: 1 }, 'a{sv}'],
      [{ signature: 'u', value: 1 }, 'v'],
      [
        [
          { signature: 'u', value: 1 },
          { signature: 's', value: 'a' },
        ],
        'av',
      ],
    ];
    for (const [value, sig] of cases)
      assert.equal(inferSignature(value, 'args[0]'), sig, JSON.stringify(value));
  });

  test('untypable values name their path', () => {
    refuses(() => inferSignature({ a: [1, null] }, 'args[2]'), /^args\[2\]\.a\[1\]: expected v, got null/);
    refuses(() => inferSignature(() => 1, 'x'), /a function value has no D-Bus type/);
  });

  test('deep arrays fall back to av before breaking the 32-array signature limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i += 1) deep = [deep];
    // 40 arrays: the innermost 32 fit one signature, the 8 outer ones hold it in a variant.
    assert.equal(inferSignature(deep, 'args[0]'), `${'a'.repeat(8)}v`);
    let inner: unknown = (from('v', to('v', deep)) as { value: unknown }).value;
    for (let i = 0; i < 8; i += 1) inner = (inner as unknown[])[0];
    assert.equal((inner as { signature: string }).signature, `${'a'.repeat(32)}i`);
  });
});

describe('toDBusArgs / fromDBusArgs', () => {
  test('convert a whole body, in order', () => {
    const sent = toDBusArgs('sia{sv}', ['a', 1, { k: 'v' }]);
    assert.equal(sent.length, 3);
    assert.deepEqual(fromDBusArgs('sia{sv}', sent), ['a', 1, { k: { signature: 's', value: 'v' } }]);
    assert.deepEqual(toDBusArgs('', []), []);
    assert.deepEqual(fromDBusArgs('', []), []);
  });

  test('the argument count must match the signature', () => {
    refuses(
      () => toDBusArgs('si', ['a']),
      /^args: expected si, got \["a"\]: signature "si" takes 2 argument\(s\), got 1$/,
    );
    refuses(() => toDBusArgs('', [1]), /takes 0 argument\(s\), got 1/);
    refuses(() => toDBusArgs('s', 'a' as unknown as unknown[]), /arguments are a JSON array/);
    refuses(() => fromDBusArgs('ss', ['a']), /signature "ss" has 2 value\(s\), got 1/);
  });

  test('a bad signature is INVALID_SIGNATURE', () => {
    refuses(() => toDBusArgs('a{vs}', [{}]), /invalid signature "a\{vs\}" at offset 2/, 'INVALID_SIGNATURE');
    refuses(() => fromDBusArgs('(', []), /invalid signature/, 'INVALID_SIGNATURE');
  });

  test('errors name the argument path, the expected signature and the value', () => {
    refuses(
      () => toDBusArgs('sa{sau}', ['x', { foo: [1, 2, -3] }]),
      /^args\[1\]\.foo\[2\]: expected u, got -3: out of range 0\.\.4294967295$/,
    );
    refuses(() => fromDBusArgs('as', [['a', 5]]), /^values\[0\]\[1\]: expected s, got 5: not a string$/);
  });

  test('long offending values are cut to about 200 characters', () => {
    assert.throws(
      () => toDBusArgs('i', ['y'.repeat(5000)]),
      (e: unknown) => e instanceof AppError && e.message.length < 300 && e.message.includes('…'),
    );
  });
});
