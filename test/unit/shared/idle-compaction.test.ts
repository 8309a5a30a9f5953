import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { IdleCompaction } from '../../../src/shared/idle-compaction.js';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * An IdleCompaction whose heap is `heap.bytes`. A reduction stays pending until `finish()` (V8
 * runs it after `reduce()` returns), then shrinks the heap to `heap.after`; `able: false` is a
 * process without the inspector.
 */
function subject(options: { able?: boolean } = {}) {
  const heap = { bytes: 10 << 20, after: 8 << 20, reductions: 0 };
  let pending: (() => void) | undefined;
  const idle = new IdleCompaction({
    quietMs: 1000,
    minGrowthBytes: 1 << 20,
    heapBytes: () => heap.bytes,
    reduce: () => {
      heap.reductions++;
      return new Promise<boolean>((resolve) => {
        pending = () => {
          heap.bytes = heap.after;
          resolve(options.able ?? true);
        };
      });
    },
  });
  const finish = async () => {
    pending?.();
    pending = undefined;
    await settled();
  };
  return { idle, heap, finish };
}

test('the heap is reduced once the client has been quiet for quietMs, not before', () => {
  const { idle, heap } = subject();
  idle.activity();
  mock.timers.tick(999);
  assert.equal(heap.reductions, 0);
  mock.timers.tick(1);
  assert.equal(heap.reductions, 1);
});

test('each message restarts the quiet period, so a busy client is never paused for it', () => {
  const { idle, heap } = subject();
  for (let i = 0; i < 20; i++) {
    idle.activity();
    mock.timers.tick(900);
  }
  assert.equal(heap.reductions, 0);
  mock.timers.tick(100);
  assert.equal(heap.reductions, 1);
});

test('growth is counted from the heap once the last reduction was done, not when it was asked for', async () => {
  const { idle, heap, finish } = subject();
  idle.activity();
  mock.timers.tick(1000);
  assert.equal(heap.reductions, 1);
  // Quiet again while V8 has not run it yet: no second one meanwhile.
  idle.activity();
  mock.timers.tick(1000);
  assert.equal(heap.reductions, 1, 'one at a time');
  await finish();
  heap.bytes = heap.after + (1 << 20) - 1;
  idle.activity();
  mock.timers.tick(1000);
  assert.equal(heap.reductions, 1, 'grew less than 1 MiB since the reduced heap');
  heap.bytes = heap.after + (1 << 20);
  idle.activity();
  mock.timers.tick(1000);
  assert.equal(heap.reductions, 2, 'grew 1 MiB');
});

test('a process that cannot reduce its heap (no inspector) stops scheduling after the first try', async () => {
  const { idle, heap, finish } = subject({ able: false });
  idle.activity();
  mock.timers.tick(1000);
  await finish();
  heap.bytes = 20 << 20;
  idle.activity();
  mock.timers.tick(5000);
  assert.equal(heap.reductions, 1);
});

test('stop() cancels a pending reduction and any later one', () => {
  const { idle, heap } = subject();
  idle.activity();
  idle.stop();
  mock.timers.tick(5000);
  idle.activity();
  mock.timers.tick(5000);
  assert.equal(heap.reductions, 0);
});
