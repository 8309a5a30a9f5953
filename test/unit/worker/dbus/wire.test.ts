/**
 * Our METHOD_CALL encoder against dbus-next's marshaller as the oracle: for every value dbus-next
 * can send, both must produce the same bytes. (The real-bus round trip of the same values through
 * our encoder is test/integration/dbus-roundtrip.test.ts.)
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { Message, MessageFlag, Variant } from 'dbus-next';
import { toDBusArgs } from '../../../../src/worker/dbus/values/index.js';
import type { MethodCall } from '../../../../src/worker/dbus/wire.js';
import { encodeMethodCall } from '../../../../src/worker/dbus/wire.js';

const require = createRequire(import.meta.url);
const { marshallMessage } = require('dbus-next/lib/marshall-compat.js') as {
  marshallMessage: (m: Message) => [Buffer, number[]];
};

function viaDbusNext(m: MethodCall): Buffer {
  const msg = new Message({
    destination: m.destination,
    path: m.path,
    interface: m.interface,
    member: m.member,
    signature: m.signature,
    body: [...m.body],
    flags: m.flags,
  });
  msg.serial = m.serial;
  return marshallMessage(msg)[0];
}

const base = {
  serial: 7,
  destination: 'com.example.Echo',
  path: '/com/example/Echo',
  interface: 'com.example.Echo',
  member: 'Echo',
  flags: 0,
};

/** JSON values in our documented form, converted by marshal.ts like every tool does. */
const JSON_CASES: Array<[string, unknown[]]> = [
  ['', []],
  ['y', [255]],
  ['b', [true]],
  ['nqiu', [-32768, 65535, -2147483648, 4294967295]],
  ['xt', ['-9223372036854775807', '18446744073709551615']],
  ['d', [-1.7976931348623157e308]],
  ['sog', ['héllo wörld', '/a/b', 'a{sv}']],
  ['ss', ['com.example.Bench', 'Version']],
  ['ay', [{ base64: 'AAECAwQF' }]],
  ['ay', [[]]],
  ['as', [[]]],
  ['ax', [[]]],
  ['a(is)', [[]]],
  [
    'a(is)',
    [
      [
        [1, 'a'],
        [-2, 'b'],
      ],
    ],
  ],
  ['a{sv}', [{}]],
  ['a{sv}', [{ a: 1, b: 'two', c: [true], d: { signature: 'ay', value: { base64: 'AQI=' } } }]],
  ['a{yv}', [{ '0': { signature: 'y', value: 255 }, '255': { signature: 'b', value: false } }]],
  ['a{bs}', [{ true: 'yes', false: 'no' }]],
  ['a{ns}', [{ '-32768': 'min', '32767': 'max' }]],
  ['a{xs}', [{ '-9007199254740991': 'min safe', '9007199254740991': 'max safe' }]],
  ['a{os}', [{ '/': 'root', '/a/b': 'ab' }]],
  ['(ybnqiuxtdsog)', [[255, true, -32768, 65535, -2147483648, 4294967295, '-1', '1', 0.5, 's', '/o', 'g']]],
  ['(i(s(d)))', [[1, ['a', [2.5]]]]],
  ['aa{sv}', [[{}, { a: { signature: 'g', value: 'a{sv}' } }]]],
  ['a{sa{sa{sv}}}', [{ a: { b: { c: { signature: 'u', value: 7 } } }, e: {} }]],
  ['a{s(iv)}', [{ k: [3, { signature: 'ao', value: ['/p'] }] }]],
  ['a(oa{sv})', [[['/org/example/A', { Name: 'a', Id: { signature: 't', value: '18446744073709551615' } }]]]],
  ['v', [{ signature: 'v', value: { signature: 'x', value: '-9223372036854775807' } }]],
  ['v', [[1, 'a', true, 2.5, { k: [] }]]],
  ['sia{sv}', ['s', -7, { a: { signature: 'as', value: [] } }]],
  ['ad', [[0, -0.5, 1e-300]]],
  ['y(y)ay', [1, [2], { base64: 'Aw==' }]],
];

describe('encodeMethodCall writes the bytes dbus-next writes', () => {
  for (const [signature, json] of JSON_CASES) {
    test(`${signature || '(no body)'} ${JSON.stringify(json).slice(0, 70)}`, () => {
      const m: MethodCall = { ...base, signature, body: toDBusArgs(signature, json) };
      assert.deepStrictEqual(encodeMethodCall(m), viaDbusNext(m));
    });
  }

  test('header variants: no interface, NO_AUTO_START, a unique destination, a large serial', () => {
    const variants: MethodCall[] = [
      { ...base, interface: undefined, signature: 's', body: ['x'] },
      { ...base, flags: MessageFlag.NO_AUTO_START, signature: '', body: [] },
      { ...base, destination: ':1.42', serial: 0xfffffffe, signature: 'u', body: [1] },
      { ...base, path: '/', member: 'A', signature: 'ay', body: [Buffer.alloc(70_000, 7)] },
    ];
    for (const m of variants) assert.deepStrictEqual(encodeMethodCall(m), viaDbusNext(m));
  });

  test('the values the tools build by hand: Variants, plain objects, Buffers, BigInt', () => {
    const m: MethodCall = {
      ...base,
      signature: 'susssasa{sv}i',
      body: [
        'app',
        0,
        '',
        'summary',
        'body',
        [],
        {
          urgency: new Variant('y', 1),
          'image-data': new Variant('(iiibiiay)', [1, 1, 4, true, 8, 4, Buffer.from([1, 2, 3, 4])]),
        },
        -1,
      ],
    };
    assert.deepStrictEqual(encodeMethodCall(m), viaDbusNext(m));
    const big: MethodCall = { ...base, signature: 'xt', body: [-(2n ** 63n) + 1n, 2n ** 64n - 1n] };
    assert.deepStrictEqual(encodeMethodCall(big), viaDbusNext(big));
  });
});

describe('encodeMethodCall refuses values that do not fit, naming the type', () => {
  const refused: Array<[string, unknown[], RegExp]> = [
    ['y', [256], /type 'y'.*256/],
    ['i', [1.5], /type 'i'/],
    ['u', [-1], /type 'u'/],
    ['x', [2n ** 63n], /type 'x'/],
    ['t', [Number.MAX_SAFE_INTEGER + 2], /type 't'/],
    ['b', [1], /type 'b'/],
    ['s', [7], /type 's'/],
    ['v', ['plain'], /type 'v'.*a Variant/],
    ['as', ['not an array'], /an array/],
    ['a{sv}', [new Map()], /a plain object/],
    ['(ii)', [[1]], /an array of 2/],
    ['h', [0], /file descriptors/],
    ['ss', ['only one'], /1 values for signature 'ss'/],
  ];
  for (const [signature, body, expected] of refused) {
    test(`${signature} ${String(body[0])}`, () => {
      assert.throws(() => encodeMethodCall({ ...base, signature, body }), expected);
    });
  }
});
