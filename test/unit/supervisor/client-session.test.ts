import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, mock, test } from 'node:test';
import { AppError } from '../../../src/shared/errors.js';
import { ClientSession } from '../../../src/supervisor/client-session.js';
import { StartAnswersCache } from '../../../src/supervisor/start-answers.js';
import { HANGUP_GRACE_MS, WAITING_NOTICE_MS } from '../../../src/supervisor/session-contract.js';
import { FakeWorker, collectingLogger, defaultConfig, flush } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-session-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open: net.Socket[] = [];
const sessions: ClientSession[] = [];

/** A real socket pair: the session gets the server end, the test speaks through the client end. */
async function socketPair(): Promise<{ server: net.Socket; client: net.Socket; lines: string[] }> {
  const path = join(dir, `s${++n}.sock`);
  const listener = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => listener.listen(path, resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect({ path, allowHalfOpen: true });
  const server = await accepted;
  listener.close();
  open.push(client, server);
  const lines: string[] = [];
  let buf = '';
  client.on('data', (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  client.on('error', () => {});
  return { server, client, lines };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (probe()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`never: ${what}`);
}

async function session(overrides: Record<string, string> = {}, startAnswers?: StartAnswersCache) {
  const pair = await socketPair();
  const workers: FakeWorker[] = [];
  const { log, lines: logs } = collectingLogger();
  let closed = false;
  const s = new ClientSession({
    id: 'c1',
    socket: pair.server,
    config: () => defaultConfig(overrides),
    log,
    acquireWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    onClosed: () => (closed = true),
    explainStartFailure: () => 'CPU quota 50%; raise WORKER_BOOT_TIMEOUT_MIN_MS',
    ...(startAnswers ? { startAnswers } : {}),
  });
  sessions.push(s);
  s.start();
  const send = (msg: object) => pair.client.write(`${JSON.stringify(msg)}\n`);
  const parsed = () => pair.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    s,
    ...pair,
    workers,
    logs,
    send,
    parsed,
    worker: () => workers[workers.length - 1] as FakeWorker,
    isClosed: () => closed,
  };
}

const INIT = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25' } };

/** A session whose worker is ready and has answered the client's `initialize`. */
async function initializedSession() {
  const t = await session();
  t.send(INIT);
  t.worker().boot();
  await flush();
  t.worker().ready();
  await until('ready', () => t.s.state === 'ready');
  await until('initialize sent', () => t.worker().mcp.length === 1);
  t.worker().reply({ jsonrpc: '2.0', id: 'init', result: {} });
  return t;
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] }));
// Every test ends its sessions (their timers go with them) before the clock is put back.
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close('test over')));
  mock.timers.reset();
  for (const socket of open.splice(0)) socket.destroy();
});

test('messages wait while starting and flow once the worker is ready', async () => {
  const t = await session();
  assert.equal(t.s.state, 'starting');
  t.send(INIT);
  await until('queued', () => t.s.status().inFlight === 1);
  assert.deepEqual(t.worker().mcp, []);
  t.worker().boot();
  await flush();
  assert.equal(t.worker().attached?.clientId, 'c1');
  t.worker().ready();
  await flush();
  assert.equal(t.s.state, 'ready');
  assert.deepEqual(
    t.worker().mcp.map((m) => ('id' in m ? m.id : undefined)),
    ['init'],
  );
  t.worker().reply({ jsonrpc: '2.0', id: 'init', result: {} });
  await until('answer relayed', () => t.lines.length === 1);
  assert.equal(t.s.status().requestsServed, 1);
  t.client.destroy();
});

test('a crash after serving: the request in flight fails, the handshake is replayed, its answer swallowed', async () => {
  const t = await initializedSession();
  t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  t.send({ jsonrpc: '2.0', id: 7, method: 'tools/call' });
  await until('call sent', () => t.worker().mcp.length === 3);
  const first = t.worker();
  first.exit({ signal: 'SIGKILL' });
  await until('crash answered', () => t.lines.length === 2);
  mock.timers.tick(0);
  const crash = t.parsed()[1] as {
    id: unknown;
    error: { code: number; message: string; data: { code: string } };
  };
  assert.equal(crash.id, 7);
  assert.equal(crash.error.code, -32603);
  assert.equal(crash.error.data.code, 'WORKER_CRASHED');
  assert.equal(t.s.state, 'restarting');
  await until('replacement', () => t.workers.length === 2);
  const second = t.worker();
  second.boot();
  await flush();
  second.ready();
  await until('replaying', () => t.s.state === 'replaying');
  const replayed = second.mcp[0] as { id: string; method: string };
  assert.equal(replayed.method, 'initialize');
  assert.match(replayed.id, /^dbus-mcp-replay-/);
  t.send({ jsonrpc: '2.0', id: 8, method: 'tools/list' });
  second.reply({ jsonrpc: '2.0', id: replayed.id, result: {} });
  await until('ready again', () => t.s.state === 'ready');
  await until('queued call sent', () => second.mcp.some((m) => 'id' in m && m.id === 8));
  assert.equal(t.lines.length, 2, 'the replayed answer never reaches the client');
  assert.equal(t.s.status().restarts, 1);
  t.client.destroy();
});

test('a client whose workers never get ready gets one more try, then every request is answered with the cause', async () => {
  const t = await session();
  t.send(INIT);
  await until('queued', () => t.s.status().inFlight === 1);
  t.worker().boot();
  await flush();
  t.worker().failReady(new AppError('WORKER_START_FAILED', 'worker 1 was not ready within 15000 ms'));
  await flush();
  t.worker().exit({ signal: 'SIGKILL', reason: 'not ready' });
  mock.timers.tick(0);
  await until('second try', () => t.workers.length === 2);
  t.worker().failBoot(new AppError('WORKER_START_FAILED', 'worker 2 did not boot: no progress for 15000 ms'));
  await flush();
  t.worker().exit({ signal: 'SIGKILL', reason: 'boot deadline (no-progress)' });
  await until('answered', () => t.lines.length >= 1);
  const answer = t.parsed()[0] as { id: unknown; error: { message: string; data: { code: string } } };
  assert.equal(answer.id, 'init');
  assert.equal(answer.error.data.code, 'WORKER_START_FAILED');
  assert.match(
    answer.error.message,
    /worker could not start \(worker 2 did not boot: no progress for 15000 ms\)/,
  );
  assert.match(answer.error.message, /CPU quota 50%; raise WORKER_BOOT_TIMEOUT_MIN_MS/);
  await until('closed', () => t.isClosed());
  assert.equal(t.workers.length, 2, 'no restart loop');
});

test('a client waiting for its first worker hears about it, with progress for a request that asked', async () => {
  const t = await session({ WORKER_BOOT_TIMEOUT_MAX_MS: '60000' });
  t.send({ ...INIT, params: { ...INIT.params, _meta: { progressToken: 'p1' } } });
  await until('queued', () => t.s.status().inFlight === 1);
  t.worker().bootStage = 'modules-loaded';
  mock.timers.tick(WAITING_NOTICE_MS);
  await until('notices', () => t.lines.length === 2);
  const [log, progress] = t.parsed() as Array<{ method: string; params: Record<string, unknown> }>;
  assert.equal(log?.method, 'notifications/message');
  assert.equal(log?.params.level, 'warning');
  assert.match(
    String(log?.params.data),
    /waiting 5 s for a worker process to start \(worker \d+ is at "modules-loaded"\)/,
  );
  assert.match(String(log?.params.data), /giving up after 60 s/);
  assert.equal(progress?.method, 'notifications/progress');
  assert.equal(progress?.params.progressToken, 'p1');
  assert.equal(progress?.params.progress, 5);
  // Cancelled while it waits: no more progress for it, nor warnings for a client waiting on nothing.
  t.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'init' } });
  await until('settled', () => t.s.status().inFlight === 0);
  mock.timers.tick(WAITING_NOTICE_MS * 2);
  await flush();
  assert.equal(t.lines.length, 2, 'no notices for a cancelled request');
  t.worker().boot();
  await flush();
  t.worker().ready();
  await until('ready', () => t.s.state === 'ready');
  mock.timers.tick(WAITING_NOTICE_MS * 3);
  await flush();
  assert.equal(t.lines.length, 2, 'no notices once ready');
  t.client.destroy();
});

test('no worker ready within WORKER_BOOT_TIMEOUT_MAX_MS: a clear error by that bound', async () => {
  const t = await session({ WORKER_BOOT_TIMEOUT_MAX_MS: '30000' });
  t.send(INIT);
  await until('queued', () => t.s.status().inFlight === 1);
  mock.timers.tick(29_999);
  await flush();
  assert.equal(t.parsed().filter((m) => 'error' in m).length, 0);
  mock.timers.tick(1);
  await until('answered', () => t.parsed().some((m) => m.id === 'init'));
  const answer = t.parsed().find((m) => m.id === 'init') as { error: { message: string } };
  assert.match(answer.error.message, /worker could not start \(no worker was ready within 30 s\)/);
  await until('closed', () => t.isClosed());
  assert.ok(t.worker().stopped);
});

test('regression: a client that sends and hangs up at once is answered even when its first worker is slow', async () => {
  const t = await session();
  t.send(INIT);
  t.client.end();
  await until('read', () => t.s.status().inFlight === 1);
  mock.timers.tick(HANGUP_GRACE_MS * 3);
  await flush();
  assert.equal(t.isClosed(), false, 'the grace starts once the requests reached a worker');
  t.worker().boot();
  await flush();
  t.worker().ready();
  await until('sent', () => t.worker().mcp.length === 1);
  t.worker().reply({ jsonrpc: '2.0', id: 'init', result: {} });
  await until('answered', () => t.lines.length === 1);
  await until('closed after the answer', () => t.isClosed());
});

/** Start answers that open a 2025-06-18 session (with an empty tool list). */
function openingCache(): StartAnswersCache {
  const { log } = collectingLogger();
  const cache = new StartAnswersCache(defaultConfig(), log);
  cache.offer(defaultConfig(), {
    discover: { supportedVersions: ['2026-07-28'] },
    opening: { '2025-06-18': { initialize: { protocolVersion: '2025-06-18' }, toolsList: { tools: [] } } },
  });
  return cache;
}

test('a probe the start answers answer is never forwarded; the rest of the session is as before', async () => {
  const { log } = collectingLogger();
  const cache = new StartAnswersCache(defaultConfig(), log);
  const result = { supportedVersions: ['2026-07-28'], capabilities: {}, resultType: 'complete' };
  cache.offer(defaultConfig(), { discover: result, opening: {} });
  const t = await session({}, cache);
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'host', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  t.send({ jsonrpc: '2.0', id: 'probe', method: 'server/discover', params: { _meta: meta } });
  await until('the probe is answered', () => t.parsed().length === 1);
  assert.deepEqual(t.parsed()[0], { jsonrpc: '2.0', id: 'probe', result });
  assert.equal(t.s.state, 'starting', 'answered without a worker');
  assert.equal(t.s.status().inFlight, 0);
  t.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: meta } });
  await until('queued', () => t.s.status().inFlight === 1);
  t.worker().boot();
  await flush();
  t.worker().ready();
  await until('the other request reaches the worker', () => t.worker().mcp.length === 1);
  assert.deepEqual(
    t.worker().mcp.map((m) => ('method' in m ? m.method : '')),
    ['tools/list'],
    'only the request the cache does not answer',
  );
});

test('a 2025-era opening is answered while the worker boots; the worker then sees the session as the client sent it', async () => {
  const { log } = collectingLogger();
  const cache = new StartAnswersCache(defaultConfig(), log);
  const initializeResult = {
    protocolVersion: '2025-06-18',
    capabilities: { tools: {} },
    serverInfo: { name: 'x' },
  };
  const toolsResult = { tools: [{ name: 'list_services' }] };
  cache.offer(defaultConfig(), {
    discover: { supportedVersions: ['2026-07-28'] },
    opening: { '2025-06-18': { initialize: initializeResult, toolsList: toolsResult } },
  });
  const t = await session({}, cache);
  assert.equal(t.workers.length, 0, 'the fork waits for the first message');
  const initialize = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: { roots: {} },
      clientInfo: { name: 'host', version: '1' },
    },
  };
  t.send(initialize);
  t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  t.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  t.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { cursor: 'x' } });
  await until('the opening is answered', () => t.parsed().length === 2);
  assert.equal(t.workers.length, 1, 'forked once the first message was answered');
  assert.deepEqual(t.parsed(), [
    { jsonrpc: '2.0', id: 0, result: initializeResult },
    { jsonrpc: '2.0', id: 1, result: toolsResult },
  ]);
  assert.equal(t.s.state, 'starting', 'answered without a worker');
  assert.equal(t.s.status().inFlight, 1, 'the paged tools/list waits for the worker');

  t.worker().boot();
  await flush();
  t.worker().ready();
  await until('the worker is given the initialize', () => t.worker().mcp.length === 1);
  const [replayed] = t.worker().mcp as Array<Record<string, unknown>>;
  assert.equal(replayed?.method, 'initialize');
  assert.deepEqual(replayed?.params, initialize.params, "the client's own request");
  assert.match(String(replayed?.id), /^dbus-mcp-replay-/, 'under an id of ours');
  t.worker().reply({ jsonrpc: '2.0', id: replayed?.id as string, result: initializeResult });
  await until('then the rest, in order', () => t.worker().mcp.length === 3);
  assert.deepEqual(
    t
      .worker()
      .mcp.slice(1)
      .map((m) => ('method' in m ? m.method : '')),
    ['notifications/initialized', 'tools/list'],
  );
  await flush();
  assert.equal(t.parsed().length, 2, "the worker's answer to the initialize is swallowed");
  t.worker().reply({ jsonrpc: '2.0', id: 2, result: { tools: [] } });
  await until('the paged request answered by the worker', () => t.parsed().length === 3);

  // From now on the worker answers everything, the same requests included.
  t.send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
  await until('forwarded', () => t.worker().mcp.length === 4);
});

test('an initialize that is not the first message, or not of a known shape or version, goes to the worker', async () => {
  const cache = openingCache();
  const params = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h', version: '1' } };
  const openings: object[][] = [
    [
      { jsonrpc: '2.0', id: 0, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 'initialize', params },
    ],
    [{ jsonrpc: '2.0', id: 1, method: 'initialize', params: { ...params, protocolVersion: '2024-01-01' } }],
    [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { ...params, capabilities: { experimental: {} } },
      },
    ],
    [{ jsonrpc: '2.0', id: 1, method: 'initialize', params: { ...params, _meta: { progressToken: 1 } } }],
    [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }],
  ];
  for (const messages of openings) {
    const t = await session({}, cache);
    for (const msg of messages) t.send(msg);
    await until(
      'held for its worker',
      () => t.s.status().inFlight === messages.length && t.workers.length === 1,
    );
    assert.equal(t.parsed().length, 0, JSON.stringify(messages));
    t.worker().boot();
    await flush();
    t.worker().ready();
    await until('all forwarded as sent', () => t.worker().mcp.length === messages.length);
    assert.deepEqual(t.worker().mcp, messages);
    await t.s.close('test');
  }
});

test('a first worker that dies while given the opening was never ready: the next one is given it again', async () => {
  const cache = openingCache();
  const t = await session({}, cache);
  const params = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h', version: '1' } };
  t.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params });
  t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  t.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
  await until('the initialize answered', () => t.parsed().length === 1);
  await until('the ping held', () => t.s.status().inFlight === 1);
  const first = t.worker();
  first.boot();
  await flush();
  first.ready();
  await until('given the initialize', () => first.mcp.length === 1);
  first.exit({ signal: 'SIGKILL' });
  mock.timers.tick(0);
  await until('a second worker', () => t.workers.length === 2);
  assert.equal(t.s.state, 'starting');
  assert.equal(t.s.status().restarts, 0, 'not a restart: it never served');
  const second = t.worker();
  second.boot();
  await flush();
  second.ready();
  await until('given the initialize again', () => second.mcp.length === 1);
  const [again] = second.mcp as Array<Record<string, unknown>>;
  assert.equal(again?.method, 'initialize');
  second.reply({ jsonrpc: '2.0', id: again?.id as string, result: {} });
  await until('then the rest, once', () => second.mcp.length === 3);
  assert.deepEqual(
    second.mcp.map((m) => ('method' in m ? m.method : '')),
    ['initialize', 'notifications/initialized', 'ping'],
  );
});

test('a client that hangs up after an opening answered here is done once its worker has been handed it', async () => {
  const cache = openingCache();
  const t = await session({}, cache);
  const params = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h', version: '1' } };
  t.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params });
  t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await until('answered', () => t.parsed().length === 1);
  t.client.end();
  await until('a worker', () => t.workers.length === 1);
  t.worker().boot();
  await flush();
  t.worker().ready();
  await until('given the initialize', () => t.worker().mcp.length === 1);
  const [replayed] = t.worker().mcp as Array<Record<string, unknown>>;
  t.worker().reply({ jsonrpc: '2.0', id: replayed?.id as string, result: {} });
  await until('closed without waiting for the hang-up grace', () => t.isClosed());
});

test('a request the client cancels is no longer in flight: a crash does not fail it, a hang-up does not wait for it', async () => {
  const t = await initializedSession();
  t.send({ jsonrpc: '2.0', id: 7, method: 'tools/call' });
  t.send({ jsonrpc: '2.0', id: 8, method: 'tools/call' });
  await until('both in flight', () => t.s.status().inFlight === 2);
  t.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'user' } });
  await until('cancel forwarded', () => t.worker().mcp.length === 4);
  assert.equal(t.s.status().inFlight, 1, 'only 8 is still in flight');
  // A cancellation of something never sent, or of nothing, changes nothing.
  t.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'nope' } });
  t.send({ jsonrpc: '2.0', method: 'notifications/cancelled' });
  await until('forwarded', () => t.worker().mcp.length === 6);
  assert.equal(t.s.status().inFlight, 1);
  t.worker().exit({ signal: 'SIGKILL' });
  await until('crash answered', () => t.lines.length === 2);
  const failed = t
    .parsed()
    .slice(1)
    .map((m) => m.id);
  assert.deepEqual(failed, [8], 'the cancelled request is not failed');
  // With nothing in flight, a half-close ends the session at once (no hang-up grace).
  t.client.end();
  await until('closed', () => t.isClosed());
});
