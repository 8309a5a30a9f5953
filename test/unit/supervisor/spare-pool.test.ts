import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { SpareKind } from '../../../src/supervisor/spare-pool.js';
import {
  BURST_EXTRA_MAX,
  BURST_WINDOW_MS,
  MAX_SPARE_BOOT_FAILURES,
  SPARE_RETRY_BASE_MS,
  SparePool,
} from '../../../src/supervisor/spare-pool.js';
import { FakeWorker, collectingLogger, flush } from './fakes.js';

interface PoolKnobs {
  capacity?: number;
  burstRoom?: number;
  freshForkIsFaster?: boolean;
  clientsWaiting?: boolean;
}

function pool(size = 1, knobs: PoolKnobs = {}) {
  const forked: FakeWorker[] = [];
  const kinds = new Map<FakeWorker, SpareKind>();
  const { log, lines } = collectingLogger();
  const p = new SparePool({
    size: () => size,
    capacity: () => knobs.capacity ?? 16,
    burstRoom: () => knobs.burstRoom ?? BURST_EXTRA_MAX,
    fork: (kind) => {
      const w = new FakeWorker();
      forked.push(w);
      kinds.set(w, kind);
      return w;
    },
    log,
    explainFailure: () => 'CPU quota 50%; raise WORKER_BOOT_TIMEOUT_MIN_MS',
    freshForkIsFaster: () => knobs.freshForkIsFaster ?? false,
    clientsWaiting: () => knobs.clientsWaiting ?? false,
  });
  const alive = () => forked.filter((w) => w.state !== 'exited');
  return { p, forked, kinds, knobs, lines, alive, last: () => forked[forked.length - 1] as FakeWorker };
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
  const { p, forked, kinds } = pool(1);
  p.fill();
  forked[0]?.boot();
  await flush();
  const taken = p.take() as FakeWorker;
  await immediate();
  taken.exit({ code: 1 });
  await immediate();
  assert.equal(forked.length, 2, 'only the refill after the take');
  assert.equal(kinds.get(forked[1] as FakeWorker), 'lean', 'no burst: the refill is lean');
  mock.timers.tick(60_000);
  await immediate();
  assert.equal(forked.length, 2, 'nothing for the exit');
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

test('no spare beyond what clients could still take (MAX_CLIENTS connected): extra ones are stopped', async () => {
  const { p, forked, knobs, alive } = pool(1, { capacity: 0 });
  p.fill();
  assert.equal(forked.length, 0, 'nobody could take a spare');
  knobs.capacity = 1;
  p.fill();
  assert.equal(forked.length, 1, 'a client left: the spare is back');
  knobs.capacity = 0;
  p.fill();
  assert.equal(alive().length, 0, 'the last client slot was taken: the spare is stopped');
  assert.equal(p.health().target, 0);
});

test('a spare still booting is handed out only when a fresh fork would not be faster', async () => {
  const slow = pool(1, { freshForkIsFaster: false });
  slow.p.fill();
  assert.equal(slow.p.take(), slow.forked[0], 'no snapshot: the booting spare is nearer than a new fork');

  const fast = pool(1, { freshForkIsFaster: true });
  fast.p.fill();
  assert.equal(fast.p.take(), undefined, 'a snapshot fork beats a spare that is still loading the program');
  assert.equal(fast.p.list().length, 1, 'the booting spare stays for the next client');
  fast.forked[0]?.boot();
  await flush();
  assert.equal(fast.p.take(), fast.forked[0], 'booted: taken');
});

test('a booting spare is taken when a fresh fork would be slower: a fast one while forks wait for a boot slot, a lean one never beside a snapshot', async () => {
  const forked: FakeWorker[] = [];
  const kinds = new Map<FakeWorker, SpareKind>();
  const q = new SparePool({
    size: () => 1,
    fork: (kind) => {
      const w = new FakeWorker();
      forked.push(w);
      kinds.set(w, kind);
      return w;
    },
    log: collectingLogger().log,
    // A snapshot is ready, and every boot slot is taken.
    freshForkIsFaster: (kind) => kind === 'lean',
  });
  q.fill();
  assert.equal(kinds.get(forked[0] as FakeWorker), 'lean');
  assert.equal(q.take(), undefined, 'the lean spare is left to boot');
  await immediate();
  const fast = forked.find((w) => kinds.get(w) === 'fast');
  assert.ok(fast, 'the miss made the pool fork a fast spare');
  assert.equal(q.take(), fast, 'a booting fast spare beats a fork that waits for a slot');
  await q.stop();
});

test('a burst (clients finding no booted spare) keeps one more fast spare per client for a while, then lean ones again', async () => {
  const { p, forked, kinds, alive } = pool(1, { freshForkIsFaster: true });
  p.fill();
  assert.equal(kinds.get(forked[0] as FakeWorker), 'lean', 'at rest a spare loads the program');
  for (let i = 0; i < BURST_EXTRA_MAX + 2; i++) assert.equal(p.take(), undefined);
  await immediate();
  assert.equal(p.health().target, 1 + BURST_EXTRA_MAX, 'one more per miss, bounded');
  assert.equal(alive().length, 1 + BURST_EXTRA_MAX, 'forked together');
  assert.deepEqual(
    forked.slice(1).map((w) => kinds.get(w)),
    Array(BURST_EXTRA_MAX).fill('fast'),
    'during a burst spares start from the snapshot',
  );
  for (const w of alive()) w.boot();
  await flush();
  mock.timers.tick(BURST_WINDOW_MS);
  await immediate();
  assert.equal(p.health().target, 1, 'the window passed: back to SPARE_WORKERS');
  assert.deepEqual(alive(), [forked[0]], 'the lean spare stays; the fast ones are stopped');
  assert.ok(forked.slice(1).every((w) => w.stopped));
});

test('a burst keeps no more extra spares than memory leaves room for (burstRoom), none when it has none', async () => {
  const { p, knobs, alive } = pool(1, { freshForkIsFaster: true, burstRoom: 2 });
  p.fill();
  for (let i = 0; i < BURST_EXTRA_MAX; i++) assert.equal(p.take(), undefined);
  await immediate();
  assert.equal(p.health().target, 1 + 2, 'two extras: all the room there is');
  assert.equal(alive().length, 3);
  for (const w of alive()) w.boot();
  await flush();
  // More clients got workers: no room left (or less than none) and the extras go, the size stays.
  knobs.burstRoom = -3;
  const taken = p.take();
  assert.ok(taken, 'a booted spare');
  await immediate();
  assert.equal(p.health().target, 1, 'SPARE_WORKERS, not less');
  assert.equal(p.list().length, 1, 'the pool keeps one spare');
  assert.equal(alive().filter((w) => w !== taken && !w.stopped).length, 1, 'the other extra was stopped');
});

test('takes that find a booted spare do not keep a burst’s extra spares past the window of its misses', async () => {
  const { p, alive } = pool(1, { freshForkIsFaster: true });
  p.fill();
  for (let i = 0; i < 3; i++) assert.equal(p.take(), undefined);
  await immediate();
  assert.equal(p.health().target, 4);
  for (const w of alive()) w.boot();
  await flush();
  // A client every 8 s takes a booted spare, then none comes: the misses expire at 30 s.
  for (let t = 0; t < 3; t++) {
    mock.timers.tick(8_000);
    assert.ok(p.take(), 'a booted spare');
    await immediate();
    for (const w of alive()) if (w.state === 'booting') w.boot();
    await flush();
  }
  mock.timers.tick(30_000 - 24_000);
  await immediate();
  assert.equal(p.health().target, 1);
  assert.equal(p.list().length, 1, 'the extra spares were stopped when the misses expired');
});

test('at rest the pool replaces fast spares by lean ones and keeps its size', async () => {
  const { p, forked, kinds, alive } = pool(1, { freshForkIsFaster: true });
  p.fill();
  forked[0]?.boot();
  await flush();
  assert.equal(p.take(), forked[0]);
  assert.equal(p.take(), undefined, 'a miss: a burst');
  await immediate();
  const fast = alive().filter((w) => kinds.get(w) === 'fast');
  assert.ok(fast.length >= 1);
  for (const w of fast) w.boot();
  await flush();
  mock.timers.tick(BURST_WINDOW_MS);
  await immediate();
  const spares = alive().filter((w) => w !== forked[0]);
  assert.equal(spares.length, 1, 'SPARE_WORKERS again');
  assert.equal(kinds.get(spares[0] as FakeWorker), 'lean');
  assert.ok(
    fast.every((w) => w.stopped),
    'the fast spares were stopped',
  );
});

test('SPARE_WORKERS=0: no spares, burst or not', async () => {
  const { p, forked } = pool(0, { freshForkIsFaster: true });
  p.fill();
  for (let i = 0; i < 3; i++) assert.equal(p.take(), undefined);
  await immediate();
  assert.equal(forked.length, 0);
  assert.equal(p.health().target, 0);
});

test('refills wait while a client waits for a worker forked for it, and happen once it booted', async () => {
  const { p, forked, knobs } = pool(1, { clientsWaiting: true });
  p.fill();
  assert.equal(forked.length, 0, 'the waiting client gets the CPU');
  knobs.clientsWaiting = false;
  p.fill();
  assert.equal(forked.length, 1);
});
