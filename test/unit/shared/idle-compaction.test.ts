import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { IdleCompaction } from '../../../src/shared/idle-compaction.js';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** An IdleCompaction whose heap is `heap.bytes`; each compaction shrinks it to `heap.after`. */
function subject(options: { gc?: (() => void) | undefined } = {}) {
  const heap = { bytes: 10 << 20, after: 8 << 20, compactions: 0 };
  const idle = new IdleCompaction({
    quietMs: 1000,
    minGrowthBytes: 1 << 20,
    gc: 'gc' in options ? options.gc : () => {},
    heapBytes: () => heap.bytes,
    compact: () => {
      heap.compactions++;
      heap.bytes = heap.after;
    },
  });
  return { idle, heap };
}

test('the heap is compacted once the client has been quiet for quietMs, not before', () => {
  const { idle, heap } = subject();
  idle.activity();
  mock.timers.tick(999);
  assert.equal(heap.compactions, 0);
  mock.timers.tick(1);
  assert.equal(heap.compactions, 1);
});

test('each message restarts the quiet period, so a busy client is never paused for it', () => {
  const { idle, heap } = subject();
  for (let i = 0; i < 20; i++) {
    idle.activity();
    mock.timers.tick(900);
  }
  assert.equal(heap.compactions, 0);
  mock.timers.tick(100);
  assert.equal(heap.compactions, 1);
});

test('a heap that has not grown by minGrowthBytes since the last compaction is left alone', () => {
  const { idle, heap } = subject();
  idle.activity();
  mock.timers.tick(1000);
  assert.equal(heap.compactions, 1);
  heap.bytes = heap.after + (1 << 20) - 1;
  idle.activity();
  mock.timers.tick(1000);
  assert.equal(heap.compactions, 1, 'grew less than 1 MiB');
  heap.bytes = heap.after + (1 << 20);
  idle.activity();
  mock.timers.tick(1000);
  assert.equal(heap.compactions, 2, 'grew 1 MiB');
});

test('without a gc function (not started with --expose-gc) nothing is scheduled', () => {
  const { idle, heap } = subject({ gc: undefined });
  idle.activity();
  mock.timers.tick(5000);
  assert.equal(heap.compactions, 0);
});

test('stop() cancels a pending compaction', () => {
  const { idle, heap } = subject();
  idle.activity();
  idle.stop();
  mock.timers.tick(5000);
  assert.equal(heap.compactions, 0);
});
