import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isJsonRpcMessage,
  jsonRpcMessageSchema,
  parseIpc,
  toSupervisorSchema,
  toWorkerSchema,
} from '../../../src/shared/ipc.js';
import { AppError } from '../../../src/shared/errors.js';

// Each field absent (undefined) or one of these; every combination is a message to judge.
const FIELDS = {
  jsonrpc: [undefined, '2.0', '1.0', 2, null],
  id: [undefined, 1, 0, -3, 1.5, 'a', '', null, {}, [], true],
  method: [undefined, 'tools/call', '', 1, null],
  params: [undefined, {}, { a: 1 }, [], null, 'x', 0],
  result: [undefined, {}, { content: [] }, [], null, 1],
  error: [
    undefined,
    { code: -32600, message: 'm' },
    { code: 1, message: 'm', data: [1] },
    { code: 1.5, message: 'm' },
    { code: 2 ** 53, message: 'm' },
    { code: '1', message: 'm' },
    { code: 1 },
    { message: 'm' },
    [],
    null,
  ],
} as const;

function* combinations(): Generator<Record<string, unknown>> {
  const keys = Object.keys(FIELDS) as Array<keyof typeof FIELDS>;
  const walk = function* (i: number, acc: Record<string, unknown>): Generator<Record<string, unknown>> {
    if (i === keys.length) {
      yield acc;
      return;
    }
    const key = keys[i] as keyof typeof FIELDS;
    for (const value of FIELDS[key]) {
      yield* walk(i + 1, value === undefined ? acc : { ...acc, [key]: value });
    }
  };
  yield* walk(0, {});
}

test('isJsonRpcMessage gives the schema’s verdict on every combination of fields (as JSON)', () => {
  let valid = 0;
  let n = 0;
  for (const shape of combinations()) {
    const value: unknown = JSON.parse(JSON.stringify(shape));
    const expected = jsonRpcMessageSchema.safeParse(value).success;
    assert.equal(isJsonRpcMessage(value), expected, JSON.stringify(value));
    if (expected) valid++;
    n++;
  }
  for (const value of [null, [], [{ jsonrpc: '2.0', method: 'x' }], 'x', 1, true]) {
    assert.equal(
      isJsonRpcMessage(value),
      jsonRpcMessageSchema.safeParse(value).success,
      JSON.stringify(value),
    );
  }
  // The corpus holds both verdicts in number (a check that said yes or no to all would fail above).
  assert.ok(n > 100_000 && valid > 5_000 && n - valid > 5_000, `${valid} valid of ${n}`);
});

test('an mcp IPC message is passed on as {t, msg}, the message itself; an invalid one is refused by the schema', () => {
  const msg = { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'x' }] }, extra: [1] };
  const parsed = parseIpc(toSupervisorSchema, { t: 'mcp', msg, stray: 1 });
  assert.deepEqual(parsed, { t: 'mcp', msg });
  assert.equal(parsed.t === 'mcp' && parsed.msg, msg);
  assert.deepEqual(parseIpc(toWorkerSchema, { t: 'mcp', msg: { jsonrpc: '2.0', method: 'ping' } }), {
    t: 'mcp',
    msg: { jsonrpc: '2.0', method: 'ping' },
  });
  for (const schema of [toWorkerSchema, toSupervisorSchema] as const) {
    assert.throws(
      () =>
        parseIpc(schema as typeof toWorkerSchema, { t: 'mcp', msg: { jsonrpc: '2.0', id: 1, result: [] } }),
      (e: unknown) =>
        e instanceof AppError && e.code === 'IPC_INVALID' && /'mcp' does not match/.test(e.message),
    );
  }
  // Other tags still go through the schema (unknown keys stripped, bad ones refused).
  assert.deepEqual(parseIpc(toWorkerSchema, { t: 'ping', n: 3, stray: true }), { t: 'ping', n: 3 });
  assert.throws(() => parseIpc(toWorkerSchema, { t: 'ping', n: 1.5 }), /'ping' does not match/);
});
