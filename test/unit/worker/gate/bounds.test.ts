import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/shared/errors.js';
import { checkArgumentBounds } from '../../../../src/worker/gate/bounds.js';

const bounds = { MAX_CALL_ARG_BYTES: 1024, MAX_CALL_ARG_ELEMENTS: 100 };

function refusal(args: unknown[]): AppError {
  try {
    checkArgumentBounds(args, bounds);
  } catch (e) {
    assert.ok(e instanceof AppError);
    return e;
  }
  assert.fail('not refused');
}

describe('argument bounds (issue 12 §7)', () => {
  it('counts array items and object entries, nested; the argument list itself does not count', () => {
    checkArgumentBounds([Array.from({ length: 100 }, () => 0)], bounds);
    checkArgumentBounds([Array.from({ length: 50 }, () => 0), { a: 1, b: [1, 2] }], bounds);
    const e = refusal([Array.from({ length: 101 }, () => 0)]);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /MAX_CALL_ARG_ELEMENTS/);
    assert.match(e.message, /100/);
    const nested = refusal([{ a: [[[1, 2, 3]]], b: Array.from({ length: 40 }, () => [1, 2]) }]);
    assert.match(nested.message, /MAX_CALL_ARG_ELEMENTS/);
  });

  it('a 600,000-element array is refused by counting no further than the bound', () => {
    const big = new Array<number>(600_000).fill(0);
    const e = refusal([big]);
    assert.deepEqual(e.details, { bound: 'MAX_CALL_ARG_ELEMENTS', limit: 100 });
  });

  it('bounds the serialized JSON bytes (UTF-8, escapes included)', () => {
    checkArgumentBounds(['x'.repeat(1000)], bounds);
    assert.equal(Buffer.byteLength(JSON.stringify(['x'.repeat(1000)])), 1004);
    const e = refusal(['é'.repeat(600)]);
    assert.match(e.message, /MAX_CALL_ARG_BYTES/);
    assert.deepEqual(e.details, { bound: 'MAX_CALL_ARG_BYTES', limit: 1024 });
    assert.match(refusal(['"'.repeat(600)]).message, /MAX_CALL_ARG_BYTES/);
    assert.match(refusal([{ ['k'.repeat(1100)]: 1 }]).message, /MAX_CALL_ARG_BYTES/);
  });

  it('measures plain JSON exactly as JSON.stringify does', () => {
    const value = [{ a: [1, 2.5, -3, true, null, 'ü"\\n'] }, 'x', 12345678901234];
    const exact = Buffer.byteLength(JSON.stringify(value));
    checkArgumentBounds(value, { MAX_CALL_ARG_BYTES: exact, MAX_CALL_ARG_ELEMENTS: 100 });
    assert.throws(() =>
      checkArgumentBounds(value, { MAX_CALL_ARG_BYTES: exact - 1, MAX_CALL_ARG_ELEMENTS: 100 }),
    );
  });

  it('no arguments, no bound', () => checkArgumentBounds(undefined, bounds));
});
