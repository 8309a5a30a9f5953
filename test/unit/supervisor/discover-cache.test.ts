import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { Client } from '@modelcontextprotocol/client';
import type { Config } from '../../../src/shared/config.js';
import type { JsonRpcMessage } from '../../../src/shared/ipc.js';
import { DiscoverCache, SessionDiscover } from '../../../src/supervisor/discover-cache.js';
import { discoverAnswer } from '../../../src/worker/discover-answer.js';
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

/** The worker's answer for `config`, through the worker's own code (discover-answer.ts). */
const answerFor = (config: Config) => discoverAnswer({ serveStdio, createWorkerRuntime, config, log });

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
  const cache = new DiscoverCache(high, log);
  assert.equal(cache.answer(discover(1)), undefined, 'empty: nothing answered');
  const highAnswer = await answerFor(high);
  assert.equal(cache.offer(medium, await answerFor(medium)), false, 'an answer for another configuration');
  assert.ok(cache.empty);
  assert.equal(cache.offer(high, highAnswer), true);
  assert.deepEqual(cache.answer(discover('p')), { jsonrpc: '2.0', id: 'p', result: highAnswer });

  cache.setConfig(defaultConfig()); // the same configuration read again: the answer stays
  assert.equal(cache.empty, false);
  cache.setConfig(medium);
  assert.ok(cache.empty, 'a new level drops the answer');
  assert.equal(cache.answer(discover(2)), undefined);
  assert.equal(cache.offer(high, highAnswer), false, 'a late answer for the old level is refused');
  assert.equal(cache.offer(medium, await answerFor(medium)), true);
  const result = cache.answer(discover(3)) as unknown as { result: { instructions: string } };
  assert.match(result.result.instructions, /Current safety level: medium\./);
});

test('learn asks a worker once per configuration and keeps what it answers', async () => {
  const config = defaultConfig();
  const cache = new DiscoverCache(config, log);
  const asked: Config[] = [];
  let release: (r: Record<string, unknown>) => void = () => {};
  const worker = {
    pid: 42,
    discover: (c: Config) => {
      asked.push(c);
      return new Promise<Record<string, unknown>>((resolve) => (release = resolve));
    },
  };
  cache.learn(worker, config);
  cache.learn(worker, config);
  assert.equal(asked.length, 1, 'one question at a time');
  cache.learn(worker, defaultConfig({ SAFETY_LEVEL: 'low' }));
  assert.equal(asked.length, 1, 'never about a configuration not in force');
  release(await answerFor(config));
  await new Promise((r) => setImmediate(r));
  assert.equal(cache.empty, false);
  cache.learn(worker, config);
  assert.equal(asked.length, 1, 'nothing to ask once answered');
  cache.learn(undefined, config); // no booted worker: nothing happens
});

test('every probe shape the cache answers gets exactly what the SDK server answers (only the id differs)', async () => {
  const config = defaultConfig();
  const cache = new DiscoverCache(config, log);
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
    const ours = cache.answer(request);
    assert.ok(ours, `answered: ${JSON.stringify(meta)}`);
    const [sdk] = await sdkAnswers(config, [request]);
    assert.deepEqual(ours, sdk, JSON.stringify(meta));
  }
});

test('what the v2 SDK client sends as its probe is answered from the cache', async () => {
  const config = defaultConfig();
  const cache = new DiscoverCache(config, log);
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
  const cache = new DiscoverCache(config, log);
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
    assert.equal(cache.answer(request), undefined, JSON.stringify(request));
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
