import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RawConnection, Served } from '../helpers/supervisor.js';
import { rawConnect, startServe, tempDir } from '../helpers/supervisor.js';

/**
 * The supervisor answers a 2025-era opening (`initialize`, then `tools/list`) itself while the
 * client's worker boots (supervisor/start-answers.ts), with what a spare's own SDK server
 * answered for the configuration in force, and keeps `server/discover` and `initialize` on disk
 * for the next run (start-answers-file.ts). A client's worker is held back with the test hook
 * TEST_DBUS_MCP_ATTACH_DELAY_MS (every attach waits that long; spares boot as usual), so an answer
 * that arrives while the session is still `starting` cannot have come from its worker.
 */

const ATTACH_DELAY_MS = 6000;
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 'init',
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: { roots: {} },
    clientInfo: { name: 'claude-code', version: '2.1.0' },
  },
};
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };
const TOOLS_LIST = { jsonrpc: '2.0', id: 'tools', method: 'tools/list' };

const stateOf = async (served: Served): Promise<string | undefined> =>
  (await served.status()).clients.map((c) => c.state).at(-1);

/** The opening on a new connection: each answer, and the session's state right after it. */
async function open(
  served: Served,
): Promise<{ conn: RawConnection; answers: Record<string, unknown>[]; states: string[] }> {
  const conn = await rawConnect(served.socketPath);
  const answers: Record<string, unknown>[] = [];
  const states: string[] = [];
  conn.send(INITIALIZE);
  answers.push(await conn.answer(60_000));
  states.push((await stateOf(served)) ?? '?');
  conn.send(INITIALIZED);
  conn.send(TOOLS_LIST);
  answers.push(await conn.answer(60_000));
  states.push((await stateOf(served)) ?? '?');
  return { conn, answers, states };
}

test('a 2025-era opening is answered before the worker is ready, as a worker answers it; the worker then serves the session', async () => {
  const slow = await startServe({
    env: {
      DBUS_MCP_SPARE_WORKERS: '1',
      XDG_CACHE_HOME: tempDir('dbus-mcp-cache-'),
      TEST_DBUS_MCP_ATTACH_DELAY_MS: String(ATTACH_DELAY_MS),
    },
  });
  await slow.waitForLog('start answers cached', () => true, 120_000);
  const fromCache = await open(slow);
  assert.deepEqual(fromCache.states, ['starting', 'starting'], 'both answered without a worker');
  assert.deepEqual(
    fromCache.answers.map((a) => a.id),
    ['init', 'tools'],
  );

  // The worker, once ready, was handed the client's initialize: the session goes on, and the
  // worker's own answer to that initialize never reaches the client.
  fromCache.conn.send({ jsonrpc: '2.0', id: 'ping', method: 'ping' });
  const pong = await fromCache.conn.answer(60_000);
  assert.equal(pong.id, 'ping');
  assert.deepEqual(pong.result, {});
  assert.equal(await stateOf(slow), 'ready');
  fromCache.conn.send({ jsonrpc: '2.0', id: 'again', method: 'tools/list' });
  const again = await fromCache.conn.answer(10_000);
  assert.equal(again.id, 'again', 'no second answer to the initialize came before it');
  assert.deepEqual(again.result, fromCache.answers[1]?.result, 'the worker lists the same tools');

  // Without a spare nothing is learnt: the worker answers, and exactly the same.
  const plain = await startServe({
    env: { DBUS_MCP_SPARE_WORKERS: '0', XDG_CACHE_HOME: tempDir('dbus-mcp-cache-') },
  });
  const forwarded = await open(plain);
  assert.deepEqual(forwarded.states, ['ready', 'ready']);
  assert.deepEqual(fromCache.answers, forwarded.answers);
  fromCache.conn.socket.destroy();
  forwarded.conn.socket.destroy();
  assert.equal(await slow.stop(), 0);
  assert.equal(await plain.stop(), 0);
});

test("the next run's first client is answered from the answers stored on disk, for the same configuration only", async () => {
  const dir = tempDir('dbus-mcp-opening-');
  const cache = tempDir('dbus-mcp-cache-');
  const first = await startServe({ dir, env: { DBUS_MCP_SPARE_WORKERS: '1', XDG_CACHE_HOME: cache } });
  await first.waitForLog('start answers cached', () => true, 120_000);
  assert.equal((await first.status()).startAnswers, 'learnt');
  const learnt = await open(first);
  learnt.conn.socket.destroy();
  assert.equal(await first.stop(), 0);
  const snapshots = join(cache, 'dbus-mcp', 'snapshots');
  const stored = readdirSync(snapshots).filter((f) => f.startsWith('start-answers-'));
  assert.equal(stored.length, 1, stored.join(' '));
  assert.equal(statSync(join(snapshots, stored[0] as string)).mode & 0o777, 0o600);

  // The same configuration, every worker's boot held back: nothing of this run can answer
  // before the delay, only what the first run stored.
  const slowEnv = {
    DBUS_MCP_SPARE_WORKERS: '1',
    XDG_CACHE_HOME: cache,
    TEST_DBUS_MCP_BOOT_DELAY_MS: String(ATTACH_DELAY_MS),
    TEST_DBUS_MCP_BOOT_PROGRESS: '1',
  };
  const next = await startServe({ dir, env: slowEnv });
  assert.equal((await next.status()).startAnswers, 'stored');
  const conn = await rawConnect(next.socketPath);
  conn.send(INITIALIZE);
  const answer = await conn.answer(60_000);
  assert.equal(await stateOf(next), 'starting', 'answered before any worker was ready');
  assert.ok(!next.logs.some((l) => l.msg === 'start answers cached'), 'nothing learnt in this run yet');
  assert.deepEqual(answer, learnt.answers[0]);
  conn.send(INITIALIZED);
  conn.send(TOOLS_LIST);
  const tools = await conn.answer(60_000);
  assert.deepEqual(tools, learnt.answers[1], 'tools/list, not stored, comes from the worker');
  conn.socket.destroy();
  assert.equal(await next.stop(), 0);

  // Another configuration: the stored answers are not its answers.
  writeFileSync(join(dir, 'config'), 'SAFETY_LEVEL="medium"\n');
  const other = await startServe({ dir, env: slowEnv });
  assert.equal((await other.status()).startAnswers, 'none');
  const otherConn = await rawConnect(other.socketPath);
  otherConn.send(INITIALIZE);
  const otherAnswer = await otherConn.answer(60_000);
  const result = otherAnswer.result as { instructions: string };
  assert.match(result.instructions, /Current safety level: medium\./);
  otherConn.socket.destroy();
  assert.equal(await other.stop(), 0);
});
