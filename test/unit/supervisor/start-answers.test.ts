import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { Client } from '@modelcontextprotocol/client';
import type { Config } from '../../../src/shared/config.js';
import type { JsonRpcMessage, StartAnswers } from '../../../src/shared/ipc.js';
import { answersStore } from '../../../src/supervisor/start-answers-file.js';
import { SessionDiscover, SessionOpening, StartAnswersCache } from '../../../src/supervisor/start-answers.js';
import { startAnswers } from '../../../src/worker/start-answers.js';
import { createWorkerRuntime } from '../../../src/worker/runtime.js';
import { collectingLogger, defaultConfig } from './fakes.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'host', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const discover = (id: number | string, meta: Record<string, unknown> = META): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id,
  method: 'server/discover',
  params: { _meta: meta },
});

const { log } = collectingLogger();

/** The worker's answers for `config`, through the worker's own code (worker/start-answers.ts). */
const answerFor = (config: Config) => startAnswers({ serveStdio, createWorkerRuntime, config, log });

/** What the real SDK server answers each message of one connection (the worker's own path). */
async function sdkAnswers(config: Config, messages: JsonRpcMessage[]): Promise<JSONRPCMessage[]> {
  const runtime = createWorkerRuntime({ config, log, clientId: 'test', env: { HOME: '/nonexistent' } });
  const [client, server] = InMemoryTransport.createLinkedPair();
  const served = serveStdio(runtime.factory, { transport: server, onerror: () => {} });
  const answers: JSONRPCMessage[] = [];
  client.onmessage = (m) => answers.push(m);
  await client.start();
  try {
    for (const msg of messages) {
      const before = answers.length;
      await client.send(msg as JSONRPCMessage);
      if ('id' in msg) {
        const until = Date.now() + 10_000;
        while (answers.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      } else await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await served.close();
    await runtime.close();
  }
  return answers;
}

test('an answer is kept only for the configuration in force; a reload drops it', async () => {
  const high = defaultConfig();
  const medium = defaultConfig({ SAFETY_LEVEL: 'medium' });
  const cache = new StartAnswersCache(high, log);
  assert.equal(cache.discover(discover(1)), undefined, 'empty: nothing answered');
  const highAnswer = await answerFor(high);
  assert.equal(cache.offer(medium, await answerFor(medium)), false, 'an answer for another configuration');
  assert.equal(cache.discover(discover(1)), undefined);
  assert.equal(cache.offer(high, highAnswer), true);
  assert.deepEqual(cache.discover(discover('p')), { jsonrpc: '2.0', id: 'p', result: highAnswer.discover });
  assert.deepEqual(cache.initialize('2025-06-18'), highAnswer.opening['2025-06-18']?.initialize);

  cache.setConfig(defaultConfig()); // the same configuration read again: the answer stays
  assert.ok(cache.discover(discover(1)));
  cache.setConfig(medium);
  assert.equal(cache.discover(discover(2)), undefined, 'a new level drops the answer');
  assert.equal(cache.initialize('2025-06-18'), undefined);
  assert.equal(cache.offer(high, highAnswer), false, 'a late answer for the old level is refused');
  assert.equal(cache.offer(medium, await answerFor(medium)), true);
  const result = cache.discover(discover(3)) as unknown as { result: { instructions: string } };
  assert.match(result.result.instructions, /Current safety level: medium\./);
});

test('learn asks a worker once per configuration and keeps what it answers', async () => {
  const config = defaultConfig();
  const cache = new StartAnswersCache(config, log);
  const asked: Config[] = [];
  let release: (r: StartAnswers) => void = () => {};
  const worker = {
    pid: 42,
    startAnswers: (c: Config) => {
      asked.push(c);
      return new Promise<StartAnswers>((resolve) => (release = resolve));
    },
  };
  cache.learn(worker, config);
  cache.learn(worker, config);
  assert.equal(asked.length, 1, 'one question at a time');
  cache.learn(worker, defaultConfig({ SAFETY_LEVEL: 'low' }));
  assert.equal(asked.length, 1, 'never about a configuration not in force');
  release(await answerFor(config));
  await new Promise((r) => setImmediate(r));
  assert.ok(cache.discover(discover(1)));
  cache.learn(worker, config);
  assert.equal(asked.length, 1, 'nothing to ask once answered');
  cache.learn(undefined, config); // no booted worker: nothing happens
});

test('every probe shape the cache answers gets exactly what the SDK server answers (only the id differs)', async () => {
  const config = defaultConfig();
  const cache = new StartAnswersCache(config, log);
  cache.offer(config, await answerFor(config));
  const shapes: Record<string, unknown>[] = [
    META,
    {
      ...META,
      'io.modelcontextprotocol/clientInfo': { name: 'claude-code', version: '2.1.0', title: 'Claude' },
    },
    {
      ...META,
      'io.modelcontextprotocol/clientCapabilities': {
        roots: { listChanged: true },
        sampling: {},
        elicitation: { form: {}, url: {} },
      },
    },
    { ...META, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } },
    { ...META, progressToken: 'tok' },
  ];
  for (const [i, meta] of shapes.entries()) {
    const request = discover(`probe-${i}`, meta);
    const ours = cache.discover(request);
    assert.ok(ours, `answered: ${JSON.stringify(meta)}`);
    const [sdk] = await sdkAnswers(config, [request]);
    assert.deepEqual(ours, sdk, JSON.stringify(meta));
  }
});

test('what the v2 SDK client sends as its probe is answered from the cache', async () => {
  const config = defaultConfig();
  const cache = new StartAnswersCache(config, log);
  cache.offer(config, await answerFor(config));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const probe = new Promise<JsonRpcMessage>((resolve) => {
    serverSide.onmessage = (m) => resolve(m as JsonRpcMessage);
  });
  await serverSide.start();
  const client = new Client(
    { name: 'host', version: '1.0.0' },
    {
      capabilities: { roots: { listChanged: true }, elicitation: {} },
      versionNegotiation: { mode: 'auto', probe: { timeoutMs: 100 } },
    },
  );
  const connecting = client.connect(clientSide).catch(() => {});
  const request = await probe;
  assert.ok(new SessionDiscover(cache).answer(request), JSON.stringify(request));
  await connecting;
  await client.close().catch(() => {});
});

test('probes the SDK would refuse, or that a 2025-era connection sends, go to the worker', async () => {
  const config = defaultConfig();
  const cache = new StartAnswersCache(config, log);
  cache.offer(config, await answerFor(config));
  const refused = [
    { jsonrpc: '2.0', id: 1, method: 'server/discover' },
    { jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} },
    discover(1, { ...META, 'io.modelcontextprotocol/protocolVersion': '2025-11-25' }),
    discover(1, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }),
    discover(1, { ...META, 'io.modelcontextprotocol/clientCapabilities': { roots: { listChanged: 'yes' } } }),
    discover(1, { ...META, 'io.modelcontextprotocol/clientInfo': { name: 'x' } }),
  ] as JsonRpcMessage[];
  for (const request of refused) {
    assert.equal(cache.discover(request), undefined, JSON.stringify(request));
    const [sdk] = await sdkAnswers(config, [request]);
    assert.ok(sdk && 'error' in sdk, `the SDK refuses it too: ${JSON.stringify(request)}`);
  }

  // Once a connection is in the 2025 era, the SDK answers "method not found"; so does the worker.
  const initialize = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'old', version: '1' } },
  } as JsonRpcMessage;
  for (const opening of [
    initialize,
    { jsonrpc: '2.0', id: 0, method: 'ping' } as JsonRpcMessage,
    { jsonrpc: '2.0', method: 'notifications/initialized' } as JsonRpcMessage,
  ]) {
    const session = new SessionDiscover(cache);
    assert.equal(session.answer(opening), undefined);
    assert.equal(session.answer(discover(9)), undefined, `after ${JSON.stringify(opening)}`);
    const answers = await sdkAnswers(config, [opening, discover(9)]);
    const last = answers.at(-1) as { id: number; error?: { code: number } };
    assert.equal(last.id, 9);
    assert.equal(last.error?.code, -32601, 'the SDK: method not found');
  }

  // A 2026-era session stays answerable: its other requests carry the envelope too.
  const modern = new SessionDiscover(cache);
  const toolsList = {
    jsonrpc: '2.0',
    id: 5,
    method: 'tools/list',
    params: { _meta: META },
  } as JsonRpcMessage;
  assert.equal(modern.answer(toolsList), undefined);
  assert.ok(modern.answer(discover(6)));
});

const initialize = (id: number | string, params: Record<string, unknown>): JsonRpcMessage =>
  ({ jsonrpc: '2.0', id, method: 'initialize', params }) as JsonRpcMessage;
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' } as JsonRpcMessage;

test('the worker gives an opening for every 2025-era version the SDK echoes, and none for the 2026 era', async () => {
  const answers = await answerFor(defaultConfig());
  const versions = Object.keys(answers.opening);
  assert.ok(versions.includes('2025-06-18') && versions.includes('2024-11-05'), versions.join(' '));
  assert.ok(!versions.includes('2026-07-28'));
  for (const [version, { initialize: result, toolsList }] of Object.entries(answers.opening)) {
    assert.equal(result.protocolVersion, version);
    assert.ok(Array.isArray(toolsList.tools) && toolsList.tools.length > 10, `${version}: the tools`);
  }
});

test('every opening the cache answers gets exactly what the SDK server answers (only the id differs)', async () => {
  const config = defaultConfig({ SAFETY_LEVEL: 'medium' });
  const cache = new StartAnswersCache(config, log);
  const answers = await answerFor(config);
  cache.offer(config, answers);
  const shapes: Record<string, unknown>[] = [];
  for (const protocolVersion of Object.keys(answers.opening)) {
    shapes.push({ protocolVersion, capabilities: {}, clientInfo: { name: 'mcp', version: '0.1.0' } });
  }
  shapes.push(
    // Claude Code, VS Code, the Inspector, the v1 SDK client's defaults.
    {
      protocolVersion: '2025-06-18',
      capabilities: { roots: {} },
      clientInfo: { name: 'claude-code', version: '2.1.0' },
    },
    {
      protocolVersion: '2025-06-18',
      capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} },
      clientInfo: { name: 'Visual Studio Code', version: '1.105.0', title: 'VS Code' },
    },
    {
      protocolVersion: '2025-11-25',
      capabilities: { elicitation: { form: {}, url: {} }, sampling: {} },
      clientInfo: { name: 'inspector', version: '0.17.0' },
    },
  );
  for (const [i, params] of shapes.entries()) {
    const session = new SessionOpening(cache);
    const request = initialize(`init-${i}`, params);
    const list = { jsonrpc: '2.0', id: `list-${i}`, method: 'tools/list' } as JsonRpcMessage;
    const ours = [session.answer(request), session.answer(INITIALIZED), session.answer(list)];
    assert.ok(ours[0] && ours[2], `answered: ${JSON.stringify(params)}`);
    assert.equal(ours[1], undefined, "a notification is the worker's");
    const sdk = await sdkAnswers(config, [request, INITIALIZED, list]);
    assert.deepEqual([ours[0], ours[2]], sdk, JSON.stringify(params));
  }
});

test('what the v1 SDK client (@modelcontextprotocol/sdk) opens with is answered from the cache', async () => {
  const { Client: V1Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { InMemoryTransport: V1InMemory } = await import('@modelcontextprotocol/sdk/inMemory.js');
  const config = defaultConfig();
  const cache = new StartAnswersCache(config, log);
  cache.offer(config, await answerFor(config));
  const [clientSide, serverSide] = V1InMemory.createLinkedPair();
  const session = new SessionOpening(cache);
  serverSide.onmessage = (m) => {
    const answer = session.answer(m as JsonRpcMessage);
    if (answer) void serverSide.send(answer as never);
  };
  await serverSide.start();
  const client = new V1Client(
    { name: 'host', version: '1.0.0' },
    { capabilities: { roots: { listChanged: true } } },
  );
  await client.connect(clientSide);
  assert.equal(client.getServerVersion()?.name, 'dbus-mcp');
  const tools = await client.listTools();
  assert.ok(tools.tools.some((t) => t.name === 'get_property'));
  await client.close();
});

test('openings the SDK would answer otherwise, or refuse, go to the worker', async () => {
  const config = defaultConfig();
  const cache = new StartAnswersCache(config, log);
  cache.offer(config, await answerFor(config));
  const base = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h', version: '1' } };
  for (const params of [
    { ...base, protocolVersion: '2026-07-28' }, // negotiated down by the SDK
    { ...base, protocolVersion: 'draft' },
    { ...base, capabilities: { roots: { listChanged: 'yes' } } }, // refused by the SDK
    { ...base, clientInfo: { name: 'h' } },
    { ...base, capabilities: { experimental: { x: {} } } }, // valid, but not a shape checked here
    { ...base, extra: true },
  ]) {
    assert.equal(new SessionOpening(cache).answer(initialize(1, params)), undefined, JSON.stringify(params));
  }
  const session = new SessionOpening(cache);
  assert.ok(session.answer(initialize(1, base)));
  for (const params of [{ cursor: 'c' }, { _meta: { progressToken: 1 } }]) {
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params } as JsonRpcMessage;
    assert.equal(session.answer(list), undefined, JSON.stringify(params));
  }
  assert.equal(session.answer(initialize(3, base)), undefined, "a second initialize is the worker's");
  assert.deepEqual(session.answered(), initialize(1, base), 'the worker is given the first one');
  session.handOver();
  assert.equal(session.answered(), undefined);
  const list = { jsonrpc: '2.0', id: 4, method: 'tools/list' } as JsonRpcMessage;
  assert.equal(session.answer(list), undefined, 'after the hand-over the worker answers');
});

test('stored answers: used by the next run for the same program and configuration only, never damaged ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'start-answers-'));
  try {
    const config = defaultConfig();
    const answers = await answerFor(config);
    const store = (program: string) => answersStore({ dir: () => ({ path: dir }), program, log });
    const first = new StartAnswersCache(config, log, store('build-1'));
    assert.equal(first.initialize('2025-06-18'), undefined, 'nothing stored yet');
    first.offer(config, answers);
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    const path = join(dir, files[0] as string);
    assert.equal(statSync(path).mode & 0o777, 0o600);

    const next = new StartAnswersCache(config, log, store('build-1'));
    assert.deepEqual(next.initialize('2025-06-18'), answers.opening['2025-06-18']?.initialize);
    assert.ok(next.discover(discover(1)));
    assert.equal(next.toolsList('2025-06-18'), undefined, 'tools/list is not stored');
    assert.equal(new StartAnswersCache(config, log, store('build-2')).initialize('2025-06-18'), undefined);
    const medium = defaultConfig({ SAFETY_LEVEL: 'medium' });
    assert.equal(new StartAnswersCache(medium, log, store('build-1')).initialize('2025-06-18'), undefined);

    chmodSync(path, 0o666);
    assert.equal(new StartAnswersCache(config, log, store('build-1')).initialize('2025-06-18'), undefined);
    assert.equal(existsSync(path), false, 'a file others may write is removed');
    first.offer(config, answers); // a new run's store writes it again
    new StartAnswersCache(config, log, store('build-1')).offer(config, answers);
    writeFileSync(path, '{"program":"build-1","config":', { mode: 0o600 });
    assert.equal(new StartAnswersCache(config, log, store('build-1')).initialize('2025-06-18'), undefined);
    assert.equal(existsSync(path), false, 'a damaged file is removed');
    assert.equal(
      answersStore({ dir: () => ({ path: dir }), program: undefined, log }),
      undefined,
      'no program, no store',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
