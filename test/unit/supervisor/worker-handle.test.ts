import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { AppError } from '../../../src/shared/errors.js';
import type { WorkerExit } from '../../../src/supervisor/worker.js';
import { WorkerHandle } from '../../../src/supervisor/worker-handle.js';
import { FakeProcess, collectingLogger, defaultConfig, flush } from './fakes.js';

const BOOT = { stallMs: 1000, totalMs: 10_000 };

function handle(overrides: Record<string, string> = {}) {
  const spawned: FakeProcess[] = [];
  const { log, lines } = collectingLogger();
  const worker = new WorkerHandle({
    programPath: '/nonexistent/dbus-mcp',
    config: defaultConfig(overrides),
    env: {},
    log,
    boot: BOOT,
    spawn: () => {
      const child = new FakeProcess();
      spawned.push(child);
      return child;
    },
  });
  return { worker, spawned, lines, child: () => spawned[0] as FakeProcess };
}

async function booted() {
  const h = handle();
  h.worker.start();
  h.child().tell({ t: 'booted' });
  await h.worker.whenBooted();
  return h;
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] }));
afterEach(() => mock.timers.reset());

test('the process is forked by start(), not by the constructor, and only once', () => {
  const h = handle();
  assert.equal(h.spawned.length, 0);
  assert.equal(h.worker.state, 'created');
  h.worker.start();
  assert.equal(h.spawned.length, 1);
  assert.equal(h.worker.state, 'booting');
  assert.equal(h.worker.pid, h.child().pid);
  assert.throws(() => h.worker.start(), /already started/);
  assert.equal(h.spawned.length, 1);
});

test('booting → idle → attaching → ready; attach sends the configuration as text', async () => {
  const h = await booted();
  assert.equal(h.worker.state, 'idle');
  const attached = h.worker.attach({ clientId: 'c1', config: defaultConfig({ SAFETY_LEVEL: 'medium' }) });
  await flush();
  assert.equal(h.worker.state, 'attaching');
  const [msg] = h.child().sentOf('attach');
  assert.equal(msg?.clientId, 'c1');
  const config = msg?.config as Record<string, unknown>;
  assert.equal(config.SAFETY_LEVEL, 'medium');
  assert.equal(config.MAX_CLIENTS, '16', 'numbers travel as text');
  assert.equal(config.SOCKET_PATH, '', 'an unset value travels as the empty text');
  h.child().tell({ t: 'ready' });
  await attached;
  assert.equal(h.worker.state, 'ready');
});

test('a late ready cannot move a stopping worker back; a second attach is refused', async () => {
  const h = await booted();
  const attached = h.worker.attach({ clientId: 'c1', config: defaultConfig() });
  await flush();
  h.child().ignoreShutdown = true;
  const stopping = h.worker.stop(500);
  assert.equal(h.worker.state, 'stopping');
  h.child().tell({ t: 'ready' });
  assert.equal(h.worker.state, 'stopping', 'ready after stop is refused');
  await assert.rejects(
    h.worker.attach({ clientId: 'c2', config: defaultConfig() }),
    /cannot be attached \(stopping\)/,
  );
  mock.timers.tick(500);
  await flush();
  await stopping;
  assert.equal(h.worker.state, 'exited');
  await assert.rejects(attached, /exited/);
});

test('a worker that makes no boot progress within stallMs is killed; whenBooted says why', async () => {
  const h = handle();
  h.worker.start();
  const exits: WorkerExit[] = [];
  h.worker.adopt({ onExit: (e) => exits.push(e) });
  h.child().tell({ t: 'boot-progress', stage: 'started' });
  mock.timers.tick(999);
  assert.deepEqual(h.child().signals, []);
  mock.timers.tick(1);
  assert.deepEqual(h.child().signals, ['SIGKILL']);
  await assert.rejects(h.worker.whenBooted(), (err: AppError) => {
    assert.equal(err.code, 'WORKER_START_FAILED');
    assert.match(err.message, /no progress for 1000 ms after "started"/);
    assert.deepEqual(err.details, { cause: 'boot-deadline', deadline: 'no-progress', stage: 'started' });
    return true;
  });
  await flush();
  assert.equal(exits.length, 1);
  assert.equal(exits[0]?.intentional, false);
  assert.equal(exits[0]?.wasBooted, false);
  assert.match(String(exits[0]?.reason), /boot deadline \(no-progress\)/);
});

test('a worker that keeps reporting progress is not killed as hung, only past totalMs', async () => {
  const h = handle();
  h.worker.start();
  const stages: string[] = [];
  h.worker.adopt({ onBootProgress: (stage) => stages.push(stage) });
  for (let elapsed = 0; elapsed < 9500; elapsed += 500) {
    h.child().tell({ t: 'boot-progress', stage: `step-${elapsed}` });
    mock.timers.tick(500);
  }
  assert.deepEqual(h.child().signals, [], 'progressing: alive after 9.5 s with stallMs 1 s');
  assert.equal(h.worker.bootStage, 'step-9000');
  assert.equal(stages.length, 19);
  h.child().tell({ t: 'boot-progress', stage: 'still' });
  mock.timers.tick(500);
  assert.deepEqual(h.child().signals, ['SIGKILL']);
  await assert.rejects(h.worker.whenBooted(), /did not boot within 10000 ms \(still at "still"\)/);
});

test('regression: a throwing onExit owner neither hangs stop() nor escapes the exit listener', async () => {
  const h = await booted();
  h.worker.adopt({
    onExit: () => {
      throw new Error('owner bug');
    },
  });
  await h.worker.stop();
  assert.equal(h.worker.state, 'exited');
  const line = h.lines.find((l) => l.msg === 'worker owner callback failed');
  assert.equal(line?.callback, 'onExit');
  assert.equal((line?.err as { message?: string }).message, 'owner bug');
});

test('adopt hands the events to the new owner; the previous one hears nothing more', async () => {
  const h = await booted();
  const first: unknown[] = [];
  const second: unknown[] = [];
  h.worker.adopt({ onMcp: (m) => first.push(m), onExit: (e) => first.push(e) });
  h.worker.adopt({ onMcp: (m) => second.push(m), onExit: (e) => second.push(e) });
  h.child().tell({ t: 'mcp', msg: { jsonrpc: '2.0', method: 'notifications/x' } });
  h.child().exit(1, null);
  await flush();
  assert.equal(first.length, 0);
  assert.equal(second.length, 2);
});

test("start-failed carries the worker's catalogue code to the attach that waits", async () => {
  const h = await booted();
  const attached = h.worker.attach({ clientId: 'c1', config: defaultConfig() });
  await flush();
  h.child().tell({ t: 'start-failed', code: 'POLICY_RULE_INVALID', message: '/x.rules:2: unknown verb' });
  await assert.rejects(attached, (err: AppError) => err.code === 'POLICY_RULE_INVALID');
});

test('an invalid message is logged as such; a throwing onMcp owner is logged as the owner', async () => {
  const h = await booted();
  h.worker.adopt({
    onMcp: () => {
      throw new Error('relay bug');
    },
  });
  h.child().tell({ t: 'nonsense' });
  h.child().tell({ t: 'mcp', msg: { jsonrpc: '2.0', method: 'x' } });
  assert.ok(h.lines.some((l) => l.msg === 'invalid message from worker'));
  assert.ok(h.lines.some((l) => l.msg === 'worker owner callback failed' && l.callback === 'onMcp'));
});

test('a heartbeat left unanswered past WORKER_HEARTBEAT_MS kills the worker as a crash', async () => {
  const h = handle({ WORKER_HEARTBEAT_MS: '1000' });
  h.worker.start();
  h.child().tell({ t: 'booted' });
  const exits: WorkerExit[] = [];
  h.worker.adopt({ onExit: (e) => exits.push(e) });
  mock.timers.tick(250);
  const [ping] = h.child().sentOf('ping');
  h.child().tell({ t: 'pong', n: ping?.n });
  mock.timers.tick(1000);
  assert.deepEqual(h.child().signals, [], 'answered: alive');
  mock.timers.tick(500);
  assert.deepEqual(h.child().signals, ['SIGKILL']);
  await flush();
  assert.match(String(exits[0]?.reason), /no heartbeat answer within 1000 ms/);
  assert.equal(exits[0]?.intentional, false);
});

test('stop goes shutdown → SIGTERM → SIGKILL, a step apart, and resolves once exited', async () => {
  const h = await booted();
  h.child().ignoreShutdown = true;
  h.child().ignoreSigterm = true;
  const exits: WorkerExit[] = [];
  h.worker.adopt({ onExit: (e) => exits.push(e) });
  let done = false;
  const stopping = h.worker.stop(2000).then(() => (done = true));
  await flush();
  assert.equal(h.child().sentOf('shutdown').length, 1);
  mock.timers.tick(2000);
  await flush();
  assert.deepEqual(h.child().signals, ['SIGTERM']);
  mock.timers.tick(2000);
  await flush();
  assert.deepEqual(h.child().signals, ['SIGTERM', 'SIGKILL']);
  await stopping;
  assert.ok(done);
  assert.equal(exits[0]?.intentional, true);
});

test('rate-take is answered with the owner’s service-wide decision, and refused with no owner', async () => {
  const h = await booted();
  h.child().tell({ t: 'rate-take', id: 1, bucket: 'notify' });
  await flush();
  const [unowned] = h.child().sentOf('rate-answer');
  assert.equal(unowned?.id, 1);
  assert.equal(unowned?.ok, false, 'a worker nobody owns gets no token');

  const asked: string[] = [];
  let left = 1;
  h.worker.adopt({
    onRateTake: (bucket) => {
      asked.push(bucket);
      return left-- > 0 ? { ok: true, limited: true } : { ok: false, limit: 1, retryAfterMs: 60_000 };
    },
  });
  h.child().tell({ t: 'rate-take', id: 2, bucket: 'screenshot' });
  h.child().tell({ t: 'rate-take', id: 3, bucket: 'mutating' });
  await flush();
  const answers = h.child().sentOf('rate-answer');
  assert.deepEqual(asked, ['screenshot', 'mutating']);
  assert.deepEqual(
    answers.slice(1).map((a) => [a.id, a.ok, a.limit, a.retryAfterMs]),
    [
      [2, true, undefined, undefined],
      [3, false, 1, 60_000],
    ],
  );
});
