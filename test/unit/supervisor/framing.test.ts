import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineFramer, MAX_MESSAGE_DEPTH, parseFrame } from '../../../src/supervisor/framing.js';

function collect(max: number) {
  const events: string[] = [];
  const framer = new LineFramer(
    max,
    (line) => events.push(`line:${line.toString()}`),
    () => events.push('overflow'),
  );
  return { framer, events };
}

test('lines split across chunks and several lines in one chunk', () => {
  const { framer, events } = collect(100);
  framer.push(Buffer.from('ab'));
  framer.push(Buffer.from('c\nde\n'));
  framer.push(Buffer.from('f\n'));
  assert.deepEqual(events, ['line:abc', 'line:de', 'line:f']);
});

test('an over-long line is reported once, the rest of it dropped, and framing kept', () => {
  const { framer, events } = collect(8);
  framer.push(Buffer.from('0123456'));
  framer.push(Buffer.from('789ab'));
  framer.push(Buffer.from('cdef'));
  framer.push(Buffer.from('gh\nok\n'));
  assert.deepEqual(events, ['overflow', 'line:ok']);
});

test('an over-long line that arrives complete in one chunk', () => {
  const { framer, events } = collect(4);
  framer.push(Buffer.from('123456789\nabcd\n'));
  assert.deepEqual(events, ['overflow', 'line:abcd']);
});

test('parseFrame answers every kind of bad input with the right code', () => {
  const code = (text: string) => {
    const f = parseFrame(Buffer.from(text));
    return f && !f.ok ? [f.reply.error.code, f.reply.id] : f;
  };
  assert.equal(parseFrame(Buffer.from('  \r')), null);
  assert.deepEqual(code('{nope'), [-32700, null]);
  assert.deepEqual(code('[]'), [-32600, null]);
  assert.deepEqual(code('"x"'), [-32600, null]);
  assert.deepEqual(code('null'), [-32600, null]);
  assert.deepEqual(code('{"id":3,"method":"x"}'), [-32600, 3]);
  const ok = parseFrame(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\r'));
  assert.ok(ok?.ok);
  const n = parseFrame(Buffer.from('{"jsonrpc":"2.0","method":"notifications/initialized"}'));
  assert.ok(n?.ok);
});

test('parseFrame keeps a "__proto__" key as data: no prototype changes, here or for other objects', () => {
  const f = parseFrame(
    Buffer.from(
      '{"jsonrpc":"2.0","id":1,"method":"tools/list","__proto__":{"polluted":1},"params":{"__proto__":{"polluted":2}}}',
    ),
  );
  assert.ok(f?.ok);
  assert.equal(Object.getPrototypeOf(f.msg), Object.prototype);
  assert.equal((f.msg as { polluted?: unknown }).polluted, undefined);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  // Relayed as it came (a JSON round trip keeps the key as data too).
  assert.match(JSON.stringify(f.msg), /"__proto__":\{"polluted":1\}/);
});

test('parseFrame refuses a message nested deeper than MAX_MESSAGE_DEPTH, by its id, and takes one at the limit', () => {
  // `levels` arrays inside `arguments`: the message, params and arguments add three.
  const line = (id: string, levels: number) =>
    Buffer.from(
      `{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":{"name":"x","arguments":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}}`,
    );
  const deep = parseFrame(line('deep', MAX_MESSAGE_DEPTH - 2));
  assert.ok(deep && !deep.ok);
  assert.equal(deep.reply.id, 'deep');
  assert.equal(deep.reply.error.code, -32600);
  assert.match(deep.reply.error.message, /more than 1000 levels deep/);
  assert.deepEqual(deep.reply.error.data, { code: 'MESSAGE_TOO_DEEP', limit: MAX_MESSAGE_DEPTH });
  assert.ok(parseFrame(line('fits', MAX_MESSAGE_DEPTH - 3))?.ok);
  // Objects count like arrays; far past the depth JSON.stringify can write back (no recursion here).
  const objects = `{"jsonrpc":"2.0","id":7,"method":"m","params":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}}`;
  const refused = parseFrame(Buffer.from(objects));
  assert.ok(refused && !refused.ok && refused.reply.id === 7 && refused.reply.error.code === -32600);
});

test('parseFrame answers a request whose id is not a string or an integer (the SDK would drop it unanswered)', () => {
  for (const id of ['null', '1.5', 'true', '{"a":1}', '[1]', '1e400', String(2 ** 53)]) {
    const f = parseFrame(Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`));
    assert.ok(f && !f.ok, id);
    assert.equal(f.reply.error.code, -32600, id);
    assert.match(f.reply.error.message, /a request id must be a string or an integer/, id);
    // The id is echoed when it is a finite number or a string (1.5), else null.
    assert.equal(f.reply.id, id === '1.5' ? 1.5 : id === String(2 ** 53) ? 2 ** 53 : null, id);
  }
  for (const id of ['0', '-7', '""', '"a"', String(2 ** 53 - 1)]) {
    assert.ok(parseFrame(Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`))?.ok, id);
  }
  // Responses (the client answering a server request) and notifications are not judged by it.
  assert.ok(parseFrame(Buffer.from('{"jsonrpc":"2.0","id":1.5,"result":{}}'))?.ok);
  assert.ok(parseFrame(Buffer.from('{"jsonrpc":"2.0","method":"notifications/initialized"}'))?.ok);
});
