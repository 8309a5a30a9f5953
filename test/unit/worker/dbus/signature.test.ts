import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../../../src/shared/errors.js';
import type { DBusType } from '../../../../src/worker/dbus/signature.js';
import {
  formatSignature,
  formatType,
  isValidSignature,
  parseSignature,
  parseSingleType,
} from '../../../../src/worker/dbus/signature.js';

const basic = (code: string) => ({ kind: 'basic', code }) as DBusType;

function invalid(sig: string, offset: number, what: RegExp): void {
  assert.throws(
    () => parseSignature(sig),
    (e: unknown) => {
      assert.ok(e instanceof AppError, `not an AppError: ${String(e)}`);
      assert.equal(e.code, 'INVALID_SIGNATURE');
      assert.ok(
        e.message.includes(JSON.stringify(sig).slice(0, 40)),
        `message names the signature: ${e.message}`,
      );
      assert.ok(e.message.includes(`at offset ${offset}:`), `offset ${offset} in: ${e.message}`);
      assert.match(e.message, what);
      return true;
    },
    sig,
  );
  assert.equal(isValidSignature(sig), false);
}

describe('parseSignature', () => {
  test('every basic type code, and v', () => {
    for (const code of 'ybnqiuxtdsogh') assert.deepEqual(parseSignature(code), [basic(code)]);
    assert.deepEqual(parseSignature('v'), [{ kind: 'variant' }]);
  });

  test('the empty signature is zero types', () => {
    assert.deepEqual(parseSignature(''), []);
    assert.equal(isValidSignature(''), true);
  });

  test('several complete types in order', () => {
    assert.deepEqual(parseSignature('sia{sv}'), [
      basic('s'),
      basic('i'),
      { kind: 'dict', key: basic('s'), value: { kind: 'variant' } },
    ]);
  });

  test('arrays, dicts, structs and their nesting', () => {
    assert.deepEqual(parseSignature('aai'), [
      { kind: 'array', element: { kind: 'array', element: basic('i') } },
    ]);
    assert.deepEqual(parseSignature('a(oa{sv})'), [
      {
        kind: 'array',
        element: {
          kind: 'struct',
          fields: [basic('o'), { kind: 'dict', key: basic('s'), value: { kind: 'variant' } }],
        },
      },
    ]);
    assert.deepEqual(parseSignature('a{ia{sv}}'), [
      {
        kind: 'dict',
        key: basic('i'),
        value: { kind: 'dict', key: basic('s'), value: { kind: 'variant' } },
      },
    ]);
    assert.deepEqual(parseSignature('(i(s(d)))'), [
      {
        kind: 'struct',
        fields: [
          basic('i'),
          { kind: 'struct', fields: [basic('s'), { kind: 'struct', fields: [basic('d')] }] },
        ],
      },
    ]);
    assert.deepEqual(parseSignature('aa{sv}'), [
      { kind: 'array', element: { kind: 'dict', key: basic('s'), value: { kind: 'variant' } } },
    ]);
  });

  test('dict keys of every basic type', () => {
    for (const code of 'ybnqiuxtdsogh') {
      assert.deepEqual(parseSignature(`a{${code}s}`), [
        { kind: 'dict', key: basic(code), value: basic('s') },
      ]);
    }
  });

  test('nesting limits: 32 arrays and 32 structs, both at once (64 deep)', () => {
    const deepest = `${'a'.repeat(32)}${'('.repeat(32)}i${')'.repeat(32)}`;
    assert.equal(isValidSignature(deepest), true);
    assert.equal(isValidSignature(`${'a'.repeat(32)}i`), true);
    assert.equal(isValidSignature(`${'('.repeat(32)}i${')'.repeat(32)}`), true);
    invalid(`${'a'.repeat(33)}i`, 32, /more than 32 nested arrays/);
    invalid(`${'('.repeat(33)}i${')'.repeat(33)}`, 32, /more than 32 nested structs/);
    // Sibling containers do not add up: only the nesting on one path counts.
    assert.equal(isValidSignature(`(${'(ai)'.repeat(40)})`), true);
    assert.equal(isValidSignature(`(${'a'.repeat(31)}i${'a'.repeat(31)}i)`), true);
  });

  test('at most 255 bytes', () => {
    const at255 = `(${'i'.repeat(253)})`;
    assert.equal(at255.length, 255);
    assert.equal(isValidSignature(at255), true);
    invalid(`(${'i'.repeat(254)})`, 255, /longer than 255 bytes \(256\)/);
    invalid('i'.repeat(1000), 255, /longer than 255 bytes/);
  });

  test('errors name the signature, the offset and the problem', () => {
    invalid('a', 1, /"a" at the end, the array element type is missing/);
    invalid('ia', 2, /array element type is missing/);
    invalid('a{vs}', 2, /dict entry key must be a basic type .*got "v"/);
    invalid('a{(i)s}', 2, /dict entry key must be a basic type/);
    invalid('a{ass}', 2, /dict entry key must be a basic type/);
    invalid('a{s}', 3, /key type but no value type/);
    invalid('a{}', 2, /empty dict entry/);
    invalid('a{sss}', 4, /more than two types/);
    invalid('a{sv', 4, /"}" missing for the "{" at offset 1/);
    invalid('a{s', 3, /value type is missing/);
    invalid('a{', 2, /key type is missing/);
    invalid('{sv}', 0, /dict entry "\{" is only allowed as the element of an array/);
    invalid('(i{sv})', 2, /only allowed as the element of an array/);
    invalid('()', 1, /empty struct/);
    invalid('a()', 2, /empty struct/);
    invalid('(ii', 3, /"\)" missing for the "\(" at offset 0/);
    invalid('i)', 1, /"\)" without a matching "\("/);
    invalid('}', 0, /"}" without a matching/);
    invalid('z', 0, /unknown type code "z"/);
    invalid('ai ', 2, /unknown type code " "/);
    invalid('r', 0, /GVariant notation/);
    invalid('e', 0, /GVariant notation/);
    invalid('mi', 0, /maybe type/);
    invalid('a*', 1, /reserved code/);
    invalid('é', 0, /unknown type code/);
  });

  test('a non-string is refused, not crashed on', () => {
    assert.throws(() => parseSignature(42 as unknown as string), /expected a string, got number/);
    assert.equal(isValidSignature(undefined), false);
  });
});

describe('parseSingleType', () => {
  test('exactly one complete type', () => {
    assert.deepEqual(parseSingleType('a{sv}'), { kind: 'dict', key: basic('s'), value: { kind: 'variant' } });
    assert.deepEqual(parseSingleType('(ii)'), { kind: 'struct', fields: [basic('i'), basic('i')] });
  });

  test('none or several are refused with the offset', () => {
    assert.throws(
      () => parseSingleType(''),
      /invalid signature "" at offset 0: empty, exactly one complete type/,
    );
    assert.throws(
      () => parseSingleType('ii'),
      /at offset 1: exactly one complete type expected, but more types follow/,
    );
    assert.throws(() => parseSingleType('a{sv}s'), /at offset 5/);
    assert.throws(
      () => parseSingleType('a{vs}'),
      (e: unknown) => e instanceof AppError && e.code === 'INVALID_SIGNATURE',
    );
  });
});

describe('formatType', () => {
  test('is the inverse of the parser', () => {
    const sigs = [
      'y',
      'b',
      'n',
      'q',
      'i',
      'u',
      'x',
      't',
      'd',
      'h',
      's',
      'o',
      'g',
      'v',
      'ay',
      'aay',
      'a{sv}',
      'a{ia{sv}}',
      'a(oa{sv})',
      '(ybnqiuxtdsoghv)',
      'aa{s(iav)}',
      '(i(s(d)))',
      `${'a'.repeat(32)}${'('.repeat(32)}i${')'.repeat(32)}`,
    ];
    for (const sig of sigs) {
      assert.equal(formatType(parseSingleType(sig)), sig);
    }
    assert.equal(formatSignature(parseSignature('sia{sv}(ii)')), 'sia{sv}(ii)');
    assert.equal(formatSignature([]), '');
  });
});
