import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { ToSupervisor } from '../../../src/shared/ipc.js';
import type { IpcEndpoint } from '../../../src/worker/ipc-transport.js';
import { IpcServerTransport } from '../../../src/worker/ipc-transport.js';

/** An in-process IPC endpoint: what the worker's `process` offers, recorded. */
function endpoint() {
  const emitter = new EventEmitter();
  const sent: ToSupervisor[] = [];
  const ep = Object.assign(emitter, {
    send: (m: ToSupervisor, cb: (e: Error | null) => void) => {
      sent.push(m);
      setImmediate(() => cb(null));
      return true;
    },
  }) as unknown as IpcEndpoint & EventEmitter;
  return { ep, sent };
}

test('start twice throws; close fires onclose once and removes exactly its listeners', async () => {
  const { ep } = endpoint();
  const other = () => {};
  ep.on('message', other);
  const t = new IpcServerTransport(ep);
  let closed = 0;
  t.onclose = () => closed++;
  await t.start();
  await assert.rejects(t.start(), /already started/);
  assert.equal(ep.listenerCount('message'), 2);
  await t.close();
  await t.close();
  assert.equal(closed, 1);
  assert.deepEqual(ep.listeners('message'), [other]);
  await assert.rejects(t.send({ jsonrpc: '2.0', method: 'x' }), /closed/);
});

test('mcp messages reach onmessage, other tags are ignored, invalid ones go to onerror', async () => {
  const { ep } = endpoint();
  const t = new IpcServerTransport(ep);
  const got: unknown[] = [];
  const errors: Error[] = [];
  t.onmessage = (m) => got.push(m);
  t.onerror = (e) => errors.push(e);
  await t.start();
  ep.emit('message', { t: 'ping', n: 1 });
  ep.emit('message', { t: 'mcp', msg: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
  ep.emit('message', { t: 'mcp', msg: { nope: true } });
  assert.deepEqual(got, [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }]);
  assert.equal(errors.length, 1);
});

test('flow pause holds send until resumed; a disconnect closes the transport', async () => {
  const { ep, sent } = endpoint();
  const t = new IpcServerTransport(ep);
  let closed = false;
  t.onclose = () => (closed = true);
  await t.start();
  ep.emit('message', { t: 'flow', paused: true });
  let done = false;
  const p = t.send({ jsonrpc: '2.0', id: 1, result: {} }).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false);
  assert.equal(sent.length, 0);
  ep.emit('message', { t: 'flow', paused: false });
  await p;
  assert.deepEqual(sent, [{ t: 'mcp', msg: { jsonrpc: '2.0', id: 1, result: {} } }]);
  ep.emit('disconnect');
  assert.equal(closed, true);
});
