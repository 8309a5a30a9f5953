import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { AbortWatch, CallScheduler } from '../../../../src/worker/dbus/scheduler.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('AbortWatch', () => {
  test('many watchers of one signal share one listener, and it is removed when the last stops', () => {
    const watch = new AbortWatch();
    const ac = new AbortController();
    const stops = Array.from({ length: 50 }, () => watch.on(ac.signal, () => undefined));
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
    for (const stop of stops) stop();
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });

  test('an abort calls every watcher once', () => {
    const watch = new AbortWatch();
    const ac = new AbortController();
    let calls = 0;
    const stop = watch.on(ac.signal, () => calls++);
    watch.on(ac.signal, () => calls++);
    ac.abort();
    ac.abort();
    stop();
    assert.equal(calls, 2);
  });
});

describe('CallScheduler', () => {
  test('runs at most `concurrency` tasks at once, in order, and reads the bound per call', async () => {
    let limit = 2;
    const scheduler = new CallScheduler(() => limit, new AbortWatch());
    const gates = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      scheduler.run(
        async () => {
          started.push(i);
          await g.promise;
          return i;
        },
        undefined,
        () => new Error('aborted'),
      ),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1]);
    assert.equal(scheduler.waiting, 3);
    gates[0]?.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    limit = 4; // a reload: the next call applies it
    const late = scheduler.run(
      async () => 'late',
      undefined,
      () => new Error('aborted'),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    for (const g of gates) g.resolve();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
    assert.equal(await late, 'late');
  });

  test('a call aborted while it waits rejects at once and never runs', async () => {
    const scheduler = new CallScheduler(() => 1, new AbortWatch());
    const hold = deferred();
    const first = scheduler.run(
      () => hold.promise,
      undefined,
      () => new Error('aborted'),
    );
    const ac = new AbortController();
    let ran = false;
    const second = scheduler.run(
      async () => {
        ran = true;
      },
      ac.signal,
      () => new Error('second aborted'),
    );
    ac.abort();
    await assert.rejects(second, /second aborted/);
    hold.resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(ran, false);
    await assert.rejects(
      scheduler.run(
        async () => 1,
        ac.signal,
        () => new Error('already aborted'),
      ),
      /already aborted/,
    );
  });
});
