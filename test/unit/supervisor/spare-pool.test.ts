import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import {
  MAX_SPARE_BOOT_FAILURES,
  SPARE_RETRY_BASE_MS,
  SparePool,
} from '../../../src/supervisor/spare-pool.js';
import { FakeWorker, collectingLogger, flush } from './fakes.js';

function pool(size = 1) {
  const forked: FakeWorker[] = [];
  const { log, lines } = collectingLogger();
  const p = new SparePool({
    size: () => size,
    fork: () => {
      const w = new FakeWorker();
      forked.push(w);
      return w;
    },
    log,
    explainFailure: () => 'CPU quota 50%; raise WORKER_BOOT_TIMEOUT_MIN_MS',
  });
  return { p, forked, lines, last: () => forked[forked.length - 1] as FakeWorker };
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] }));
afterEach(() => mock.timers.reset());

test('fill forks up to the size; take hands over a booted spare and a new one is forked', async () => {
  const { p, forked } = pool(2);
  p.fill();
  assert.equal(forked.length, 2);
  forked[1]?.boot();
  await flush();
  const taken = p.take();
  assert.equal(taken, forked[1], 'a booted spare first');
  await immediate();
  assert.equal(forked.length, 3, 'replaced at once');
  assert.deepEqual(
    p.list().map((s) => s.pid),
    [forked[0]?.pid, forked[2]?.pid],
  );
});

test('a taken spare belongs to its new owner: its exit is no longer the pool’s business', async () => {
  const { p, forked } = pool(1);
  p.fill();
  forked[0]?.boot();
  await flush();
  const taken = p.take() as FakeWorker;
  await immediate();
  taken.exit({ code: 1 });
  mock.timers.tick(60_000);
  await immediate();
  assert.equal(forked.length, 2, 'only the refill after the take');
  assert.equal(p.health().failures, 0);
});

test('spares that never boot back off with a growing delay, then the pool stops and says why', async () => {
  const { p, forked, lines } = pool(1);
  p.fill();
  const delays: number[] = [];
  for (let n = 1; n < MAX_SPARE_BOOT_FAILURES; n++) {
    forked[n - 1]?.kill('boot deadline (no-progress)');
    await flush();
    const expected = SPARE_RETRY_BASE_MS * 2 ** (n - 1);
    mock.timers.tick(expected - 1);
    assert.equal(forked.length, n, `no fork before ${expected} ms`);
    mock.timers.tick(1);
    assert.equal(forked.length, n + 1, `the fork after ${expected} ms`);
    delays.push(expected);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
  forked[forked.length - 1]?.kill('boot deadline (no-progress)');
  await flush();
  mock.timers.tick(600_000);
  await immediate();
  assert.equal(forked.length, MAX_SPARE_BOOT_FAILURES, 'suspended: no fork loop');
  const health = p.health();
  assert.equal(health.suspended, true);
  assert.equal(health.failures, MAX_SPARE_BOOT_FAILURES);
  assert.match(String(health.warning), /failed to boot 5 times in a row/);
  assert.match(String(health.warning), /no more spares are forked until a reload or a worker that boots/);
  assert.match(String(health.warning), /CPU quota 50%; raise WORKER_BOOT_TIMEOUT_MIN_MS/);
  const suspended = lines.find((l) => l.msg === 'spare workers suspended');
  assert.match(String(suspended?.warning), /CPU quota 50%/);
  assert.equal(lines.filter((l) => l.msg === 'spare workers backing off').length, 4);
});

test('resume() after a suspension forks again; a spare that boots clears the failures', async () => {
  const { p, forked } = pool(1);
  p.fill();
  for (let n = 0; n < MAX_SPARE_BOOT_FAILURES; n++) {
    forked[forked.length - 1]?.kill('boot deadline');
    await flush();
    mock.timers.tick(60_000);
  }
  assert.equal(p.health().suspended, true);
  const before = forked.length;
  p.resume();
  assert.equal(forked.length, before + 1);
  assert.equal(p.health().suspended, false);
  forked[forked.length - 1]?.boot();
  await flush();
  assert.equal(p.health().failures, 0);
  assert.equal(p.health().warning, undefined);
});

test('a booted spare that exits later is replaced at once and is not a boot failure', async () => {
  const { p, forked } = pool(1);
  p.fill();
  forked[0]?.boot();
  await flush();
  forked[0]?.exit({ signal: 'SIGKILL' });
  mock.timers.tick(0);
  assert.equal(forked.length, 2);
  assert.equal(p.health().failures, 0);
});

test('stop stops every spare and forks nothing afterwards', async () => {
  const { p, forked } = pool(2);
  p.fill();
  await p.stop();
  assert.ok(forked.every((w) => w.stopped));
  p.fill();
  mock.timers.tick(60_000);
  assert.equal(forked.length, 2);
});
