import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../../../src/shared/errors.js';
import {
  assertBusName,
  assertInterfaceName,
  assertMemberName,
  assertObjectPath,
  isValidBusName,
  isValidErrorName,
  isValidInterfaceName,
  isValidMemberName,
  isValidObjectPath,
  isValidUniqueName,
} from '../../../../src/worker/dbus/names.js';

const NOT_STRINGS: unknown[] = [undefined, null, 42, {}, [], true];

function check(pred: (v: unknown) => boolean, good: unknown[], bad: unknown[]): void {
  for (const v of good) assert.equal(pred(v), true, `should accept ${JSON.stringify(v)}`);
  for (const v of bad) assert.equal(pred(v), false, `should refuse ${JSON.stringify(v)}`);
}

describe('bus names', () => {
  test('well-known and unique names per the specification', () => {
    check(
      isValidBusName,
      [
        'org.freedesktop.DBus',
        'a.b',
        'com.example.My-App',
        '_a._b',
        'org.example.x2',
        ':1.42',
        ':1.0',
        ':a.b-c_d',
        `a.${'b'.repeat(253)}`,
      ],
      [
        '',
        'org',
        '.org.example',
        'org.example.',
        'org..example',
        'org.2example',
        '1org.example',
        'org.exa mple',
        'org.exämple',
        'org/example',
        ':',
        ':1',
        ':1.',
        ':.1',
        ':1..2',
        ':1.4$',
        `a.${'b'.repeat(254)}`,
        ...NOT_STRINGS,
      ],
    );
  });

  test('unique names start with ":" and may have elements starting with digits', () => {
    check(
      isValidUniqueName,
      [':1.42', ':1.2.3', ':x.y'],
      ['org.example.App', ':1', '1.42', ':1.4 2', ...NOT_STRINGS],
    );
  });

  test('assertBusName names the value, what it is and the rule broken', () => {
    assert.throws(
      () => assertBusName('org.2example', 'destination'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'INVALID_BUS_NAME' &&
        e.message === 'invalid destination "org.2example": element 2 ("2example") starts with a digit',
    );
    assert.throws(() => assertBusName('org'), /invalid bus name "org": it needs at least two elements/);
    assert.throws(() => assertBusName(':1'), /a unique name|at least two elements/);
    assert.throws(() => assertBusName(`a.${'b'.repeat(300)}`), /longer than 255 characters/);
    assert.throws(() => assertBusName(7), /invalid bus name 7: it is not a string/);
    assert.doesNotThrow(() => assertBusName(':1.7'));
  });
});

describe('object paths', () => {
  test('paths per the specification', () => {
    check(
      isValidObjectPath,
      ['/', '/a', '/org/freedesktop/DBus', '/A_b/c9/_', '/0/1', `/${'a'.repeat(1000)}`],
      ['', 'a', 'a/b', '//', '/a/', '/a//b', '/a-b', '/a.b', '/ä', '/a b', '/a/b/', ...NOT_STRINGS],
    );
  });

  test('assertObjectPath names the rule broken', () => {
    assert.throws(
      () => assertObjectPath('/a//b', 'path'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'INVALID_OBJECT_PATH' &&
        e.message === 'invalid path "/a//b": element 2 is empty ("//")',
    );
    assert.throws(() => assertObjectPath('a'), /invalid object path "a": an object path starts with "\/"/);
    assert.throws(() => assertObjectPath('/a/'), /only the root path "\/" may end with "\/"/);
    assert.throws(() => assertObjectPath('/a-b'), /element 1 \("a-b"\) may only contain/);
    assert.doesNotThrow(() => assertObjectPath('/'));
  });
});

describe('interface, error and member names', () => {
  test('interface names', () => {
    check(
      isValidInterfaceName,
      ['org.freedesktop.DBus.Properties', 'a.b', '_a.B_9', `a.${'b'.repeat(253)}`],
      [
        '',
        'org',
        'org.',
        '.org.x',
        'org..x',
        'org.9x',
        'org.my-app',
        'org.x y',
        `a.${'b'.repeat(254)}`,
        ...NOT_STRINGS,
      ],
    );
  });

  test('error names follow the interface rules', () => {
    check(
      isValidErrorName,
      ['org.freedesktop.DBus.Error.Failed', 'a.b'],
      ['Failed', 'org.freedesktop.DBus.Error.', 'a.1b', ...NOT_STRINGS],
    );
  });

  test('member names', () => {
    check(
      isValidMemberName,
      ['GetAll', 'a', '_x9', 'A_B', 'x'.repeat(255)],
      ['', '9a', 'Get.All', 'Get-All', 'Get All', 'é', 'x'.repeat(256), ...NOT_STRINGS],
    );
  });

  test('assertions carry the matching error codes and name the rule broken', () => {
    assert.throws(
      () => assertInterfaceName('org.my-app', 'interface'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'INVALID_INTERFACE_NAME' &&
        e.message ===
          'invalid interface "org.my-app": element 2 ("my-app") may only contain ASCII letters, digits and "_"',
    );
    assert.throws(
      () => assertMemberName('Get.All', 'method'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'INVALID_MEMBER_NAME' &&
        e.message === 'invalid method "Get.All": a member name contains no "."',
    );
    assert.throws(() => assertMemberName('9x'), /invalid member name "9x": it starts with a digit/);
    assert.throws(() => assertMemberName(''), /it is empty/);
    assert.doesNotThrow(() => assertInterfaceName('org.example.I'));
    assert.doesNotThrow(() => assertMemberName('Ping'));
  });

  test('very long values are shortened in messages', () => {
    assert.throws(
      () => assertMemberName('x'.repeat(5000)),
      (e: unknown) =>
        e instanceof Error && e.message.length < 300 && /longer than 255 characters \(5000\)/.test(e.message),
    );
  });
});
