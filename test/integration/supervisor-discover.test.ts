import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Served } from '../helpers/supervisor.js';
import { rawConnect, startServe, tempDir } from '../helpers/supervisor.js';

/**
 * The supervisor answers hosts' `server/discover` probes itself (supervisor/start-answers.ts)
 * with what a spare's own SDK server answered for the configuration in force. A client's worker
 * is held back with the test hook TEST_DBUS_MCP_ATTACH_DELAY_MS (worker main.ts: every attach
 * waits that long; spares boot as usual), so an answer that arrives while the session is still
 * `starting` cannot have come from its worker.
 */

const ATTACH_DELAY_MS = 8000;
const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-host', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': { roots: { listChanged: true } },
};
const probe = (id: string) => ({ jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: META } });

interface DiscoverResult {
  instructions: string;
  [key: string]: unknown;
}

/** Sends a probe on a new connection; returns its result and the session's state right after. */
async function discoverOn(served: Served, id: string): Promise<{ result: DiscoverResult; state: string }> {
  const conn = await rawConnect(served.socketPath);
  conn.send(probe(id));
  const answer = await conn.answer(60_000);
  assert.equal(answer.id, id);
  assert.ok('result' in answer, JSON.stringify(answer));
  const states = (await served.status()).clients.map((c) => c.state);
  conn.socket.destroy();
  return { result: answer.result as DiscoverResult, state: states.join(',') };
}

const cachedCount = (served: Served) => served.logs.filter((l) => l.msg === 'start answers cached').length;

test('a probe is answered while no worker is ready, with exactly what a worker answers', async () => {
  const slow = await startServe({
    env: {
      DBUS_MCP_SPARE_WORKERS: '1',
      XDG_CACHE_HOME: tempDir('dbus-mcp-cache-'),
      TEST_DBUS_MCP_ATTACH_DELAY_MS: String(ATTACH_DELAY_MS),
    },
  });
  await slow.waitForLog('start answers cached', () => true, 120_000);
  const fromCache = await discoverOn(slow, 'p1');
  assert.equal(fromCache.state, 'starting', 'answered before the session had a worker ready');

  // No spare, so nothing is cached: the probe goes to the worker, whose SDK server answers it.
  const plain = await startServe({
    env: { DBUS_MCP_SPARE_WORKERS: '0', XDG_CACHE_HOME: tempDir('dbus-mcp-cache-') },
  });
  const forwarded = await discoverOn(plain, 'p1');
  assert.equal(cachedCount(plain), 0, 'nothing cached without a spare');
  assert.ok(
    plain.logs.some((l) => l.msg === 'client ready'),
    'a worker served it',
  );
  assert.deepEqual(fromCache.result, forwarded.result);
  assert.match(fromCache.result.instructions, /Current safety level: high\./);
  assert.equal(await slow.stop(), 0);
  assert.equal(await plain.stop(), 0);
});

test('after SIGHUP with another SAFETY_LEVEL, probes never get the old level', async () => {
  const dir = tempDir('dbus-mcp-discover-');
  const configFile = join(dir, 'config');
  writeFileSync(configFile, 'SAFETY_LEVEL="high"\n');
  const served = await startServe({
    dir,
    env: {
      DBUS_MCP_SPARE_WORKERS: '1',
      XDG_CACHE_HOME: tempDir('dbus-mcp-cache-'),
      TEST_DBUS_MCP_ATTACH_DELAY_MS: String(ATTACH_DELAY_MS),
    },
  });
  await served.waitForLog('start answers cached', () => true, 120_000);
  const before = await discoverOn(served, 'before');
  assert.match(before.result.instructions, /Current safety level: high\./);

  writeFileSync(configFile, 'SAFETY_LEVEL="medium"\n');
  served.proc.kill('SIGHUP');
  await served.waitForLog('configuration reloaded');
  // Straight after the reload: from the worker or from a fresh answer, never the old one.
  const right = await discoverOn(served, 'right-after');
  assert.match(right.result.instructions, /Current safety level: medium\./);
  assert.doesNotMatch(right.result.instructions, /level: high/);

  // A spare answers for the new level; from then on probes are answered without a worker again.
  await served.waitForLog('start answers cached', () => cachedCount(served) >= 2, 120_000);
  const after = await discoverOn(served, 'after');
  assert.equal(after.state.split(',').at(-1), 'starting', 'answered before its worker was ready');
  assert.match(after.result.instructions, /Current safety level: medium\./);
  const { instructions: _before, ...restBefore } = before.result;
  const { instructions: _after, ...restAfter } = after.result;
  assert.deepEqual(restAfter, restBefore, 'only the instructions follow the level');
  assert.equal(await served.stop(), 0);
});
