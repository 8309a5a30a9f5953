import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { z } from 'zod';
import type { TestBus } from '../helpers/buses.js';
import { startSessionBus, startSystemLikeBus } from '../helpers/buses.js';
import type { Served } from '../helpers/supervisor.js';
import {
  INIT_2025,
  connectClient,
  programPath,
  rawConnect,
  startServe,
  waitFor,
  waitGone,
  workerPidOf,
} from '../helpers/supervisor.js';

const run = promisify(execFile);
let sessionBus: TestBus;
let systemBus: TestBus;
let served: Served;

before(async () => {
  sessionBus = await startSessionBus();
  systemBus = await startSystemLikeBus();
  served = await startServe({
    env: { DBUS_MCP_SESSION_BUS_ADDRESS: sessionBus.address, DBUS_MCP_SYSTEM_BUS_ADDRESS: systemBus.address },
  });
});

const fault = (client: Client, kind: string, ms?: number) =>
  client.request({ method: 'dbus-mcp/test-fault', params: { kind, ms } }, z.looseObject({}));

/** Connects a client and tells which session (client id) it got. */
async function connectIdentified(
  options: { modern?: boolean } = {},
): Promise<{ client: Client; id: string }> {
  const before = new Set((await served.status()).clients.map((c) => c.id));
  const client = await connectClient(served.socketPath, options);
  // The 2026-era SDK probes on a disposable sibling connection first; wait until only ours is left.
  const id = await waitFor('the new client in status', async () => {
    const fresh = (await served.status()).clients.filter((c) => !before.has(c.id) && c.state === 'ready');
    return fresh.length === 1 ? fresh[0]?.id : undefined;
  });
  return { client, id };
}

const serviceSchema = z.object({
  services: z.array(z.object({ name: z.string(), pid: z.number().optional() })),
});

test('several clients at once each get their own worker pid and their own D-Bus unique name', async () => {
  const clients = [await connectIdentified(), await connectIdentified(), await connectIdentified()];
  for (const { client } of clients) {
    const res = await client.callTool({ name: 'list_services', arguments: {} });
    assert.notEqual(res.isError, true);
  }
  const pids = await Promise.all(clients.map(({ id }) => workerPidOf(served, id)));
  assert.equal(new Set(pids).size, 3, `distinct worker pids: ${pids.join(', ')}`);
  assert.ok(!pids.includes(served.pid));

  const res = await clients[0]!.client.callTool({
    name: 'list_services',
    arguments: { include_unique: true },
  });
  const { services } = serviceSchema.parse(res.structuredContent);
  const names = pids.map((pid) =>
    services.filter((s) => s.name.startsWith(':') && s.pid === pid).map((s) => s.name),
  );
  for (const [i, owned] of names.entries())
    assert.equal(owned.length, 1, `worker ${pids[i]} owns one connection`);
  assert.equal(new Set(names.flat()).size, 3, 'three different unique names');

  await Promise.all(clients.map(({ client }) => client.close()));
  for (const pid of pids) await waitGone(pid);
});

test('kill -9 of one worker mid-call: that request fails, the next succeeds, the other client sees nothing', async () => {
  const a = await connectIdentified();
  const b = await connectIdentified();
  const pidA = await workerPidOf(served, a.id);
  const pidB = await workerPidOf(served, b.id);

  const slowA = fault(a.client, 'sleep', 10_000);
  const slowB = fault(b.client, 'sleep', 1500);
  await waitFor(
    'call in flight',
    async () => (await served.status()).clients.find((c) => c.id === a.id)?.inFlight,
  );
  process.kill(pidA, 'SIGKILL');

  await assert.rejects(slowA, /worker crashed; the session continues/);
  const next = await a.client.callTool({ name: 'list_services', arguments: {} });
  assert.notEqual(next.isError, true);
  assert.deepEqual(await slowB, { slept: 1500 });

  const st = await served.status();
  const sa = st.clients.find((c) => c.id === a.id);
  const sb = st.clients.find((c) => c.id === b.id);
  assert.equal(sa?.restarts, 1);
  assert.notEqual(sa?.workerPid, pidA);
  assert.equal(sb?.restarts, 0);
  assert.equal(sb?.workerPid, pidB);
  const crash = await served.waitForLog('worker crashed', (l) => l.clientId === a.id);
  assert.equal(crash.signal, 'SIGKILL');
  assert.equal(crash.workerPid, pidA);
  await served.waitForLog('replaying session start', (l) => l.clientId === a.id);
  assert.ok(!served.logs.some((l) => l.msg === 'worker crashed' && l.clientId === b.id));
  await Promise.all([a.client.close(), b.client.close()]);
});

test('a 2026-era client keeps working across a worker crash without any replay', async () => {
  const m = await connectIdentified({ modern: true });
  const first = await m.client.callTool({ name: 'list_services', arguments: {} });
  assert.notEqual(first.isError, true);
  const pid = await workerPidOf(served, m.id);
  process.kill(pid, 'SIGKILL');
  await waitFor('replacement worker', async () => {
    const c = (await served.status()).clients.find((x) => x.id === m.id);
    return c && c.workerPid !== pid && c.state === 'ready' ? true : undefined;
  });
  const after = await m.client.callTool({ name: 'list_services', arguments: {} });
  assert.notEqual(after.isError, true);
  assert.ok(!served.logs.some((l) => l.msg === 'replaying session start' && l.clientId === m.id));
  await m.client.close();
});

test('`dbus-mcp connect` bridges an SDK client; hanging up stops its worker', async () => {
  const before = new Set((await served.status()).clients.map((c) => c.id));
  const client = await connectClient(served.socketPath, { viaConnect: served });
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'list_services'));
  const id = await waitFor('connect client', async () =>
    (await served.status()).clients.find((c) => !before.has(c.id) && c.state === 'ready'),
  );
  await client.close();
  await waitGone(id.workerPid as number);
  await served.waitForLog('client disconnected', (l) => l.clientId === id.id);
});

test('a client that disconnects mid-request has its worker stopped', async () => {
  const raw = await rawConnect(served.socketPath);
  raw.send(INIT_2025);
  assert.equal((await raw.answer()).id, 'init');
  raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  raw.send({
    jsonrpc: '2.0',
    id: 'slow',
    method: 'dbus-mcp/test-fault',
    params: { kind: 'sleep', ms: 30_000 },
  });
  const c = await waitFor('request in flight', async () =>
    (await served.status()).clients.find((x) => x.inFlight === 1 && x.workerPid !== null),
  );
  raw.socket.destroy();
  await waitGone(c.workerPid as number, 15_000);
  await waitFor('session gone', async () =>
    (await served.status()).clients.some((x) => x.id === c.id) ? undefined : true,
  );
  const line = await served.waitForLog('client disconnected', (l) => l.clientId === c.id);
  assert.equal(typeof line.durationMs, 'number');
});

test('`dbus-mcp status` shows pid, uptime, level, clients and spare workers (table and --json)', async () => {
  const { client, id } = await connectIdentified();
  const pid = await workerPidOf(served, id);
  await waitFor('a booted spare', async () =>
    (await served.status()).spareWorkers.some((w) => w.state === 'idle'),
  );
  const { stdout: json } = await run(process.execPath, [programPath(), 'status', '--json'], {
    env: served.env,
  });
  const doc = JSON.parse(json) as Awaited<ReturnType<Served['status']>>;
  assert.equal(doc.pid, served.pid);
  assert.equal(doc.safetyLevel, 'high');
  assert.equal(typeof doc.uptimeMs, 'number');
  assert.equal(doc.clients.find((c) => c.id === id)?.workerPid, pid);
  assert.ok(doc.spareWorkers.length >= 1);
  const { stdout: table } = await run(process.execPath, [programPath(), 'status'], { env: served.env });
  assert.match(table, new RegExp(`pid ${served.pid}, up \\d+s, safety level high`));
  assert.match(table, new RegExp(`${id}\\s+${pid}\\s+(\\d+ MiB|-)\\s`));
  assert.match(table, /spare workers: [1-9]/);
  await client.close();
});

test('a new client is served by the spare worker, and a new spare is forked in its place', async () => {
  const spare = await waitFor('an idle spare', async () =>
    (await served.status()).spareWorkers.find((w) => w.state === 'idle'),
  );
  const { client, id } = await connectIdentified();
  assert.equal(await workerPidOf(served, id), spare.pid);
  const next = await waitFor('a replacement spare', async () =>
    (await served.status()).spareWorkers.find((w) => w.pid !== spare.pid),
  );
  assert.notEqual(next.pid, spare.pid);
  await client.close();
});
