import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import type { TestBus } from '../helpers/buses.js';
import { startSessionBus } from '../helpers/buses.js';
import type { Served } from '../helpers/supervisor.js';
import {
  INIT_2025,
  connectClient,
  rawConnect,
  startServe,
  tempDir,
  waitFor,
  workerPidOf,
} from '../helpers/supervisor.js';

/**
 * Workers a client waits for start from a V8 startup snapshot of the worker (WORKER_SNAPSHOT=on,
 * src/commands/worker-snapshot.ts, src/supervisor/worker-snapshot.ts). What a client gets from such
 * a worker must be what a worker that loads the program gives, and nothing of the build may be
 * shared by the workers started from it. SPARE_WORKERS=0, so every client's worker is forked for
 * it; each supervisor gets its own cache directory.
 */

let bus: TestBus;

before(async () => {
  bus = await startSessionBus();
});

async function serveWithSnapshots(cache: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  return startServe({
    env: {
      DBUS_MCP_SESSION_BUS_ADDRESS: bus.address,
      DBUS_MCP_SPARE_WORKERS: '0',
      XDG_CACHE_HOME: cache,
      ...env,
    },
  });
}

async function snapshotReady(served: Served): Promise<string> {
  return waitFor(
    'the worker snapshot',
    async () => {
      const w = (await served.status()).workerSnapshot;
      assert.notEqual(w?.state, 'failed', w?.detail);
      return w?.state === 'ready' ? w.file : undefined;
    },
    90_000,
  );
}

const startedFromSnapshot = (pid: number): boolean =>
  readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--snapshot-blob');

/** What a client sees of a server: its handshake answers and everything it lists, eras apart. */
async function surface(served: Served): Promise<unknown> {
  const legacy = await connectClient(served.socketPath);
  const modern = await connectClient(served.socketPath, { modern: true });
  const of = async (c: Client) => ({
    version: c.getNegotiatedProtocolVersion(),
    server: c.getServerVersion(),
    capabilities: c.getServerCapabilities(),
    instructions: c.getInstructions(),
    tools: (await c.listTools()).tools,
    prompts: (await c.listPrompts()).prompts,
    resources: (await c.listResourceTemplates()).resourceTemplates,
  });
  const out = { legacy: await of(legacy), modern: await of(modern) };
  await Promise.all([legacy.close(), modern.close()]);
  return out;
}

describe('worker snapshot', () => {
  it('is built into the cache directory (0700, the blob 0600) and cold workers start from it', async () => {
    const cache = tempDir('dbus-mcp-cache-');
    const served = await serveWithSnapshots(cache);
    const blob = await snapshotReady(served);
    const dir = join(cache, 'dbus-mcp', 'snapshots');
    assert.equal(blob.startsWith(`${dir}/`), true, blob);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(blob).mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.partial')),
      [],
      'no partial build left',
    );
    const client = await connectClient(served.socketPath);
    const pid = await workerPidOf(served);
    assert.ok(startedFromSnapshot(pid), 'the client’s worker was forked with --snapshot-blob');
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'get_property'));
    await client.close();
    assert.equal(await served.stop(), 0);
  });

  it('a worker from the snapshot answers exactly what a worker that loads the program answers, in both eras', async () => {
    const cache = tempDir('dbus-mcp-cache-');
    const fromSnapshot = await serveWithSnapshots(cache);
    await snapshotReady(fromSnapshot);
    const loading = await serveWithSnapshots(cache, { DBUS_MCP_WORKER_SNAPSHOT: 'off' });
    assert.equal((await loading.status()).workerSnapshot?.state, 'off');
    assert.deepEqual(await surface(fromSnapshot), await surface(loading));
    await Promise.all([fromSnapshot.stop(), loading.stop()]);
  });

  it('timers due later than anything the build ran still fire in a worker from the snapshot', async () => {
    // Regression: node keeps the earliest scheduled expiry in state the snapshot copies; left at
    // the warm-up's 5 s deadline, nothing due later armed the event loop's timer (a call timeout
    // never fired, a worker delaying its boot exited).
    const cache = tempDir('dbus-mcp-cache-');
    const served = await serveWithSnapshots(cache, { TEST_DBUS_MCP_FAULTS: '1' });
    await snapshotReady(served);
    const raw = await rawConnect(served.socketPath);
    raw.send(INIT_2025);
    assert.equal((await raw.next(30_000)).id, 'init');
    assert.ok(startedFromSnapshot(await workerPidOf(served)));
    raw.send({
      jsonrpc: '2.0',
      id: 'slow',
      method: 'dbus-mcp/test-fault',
      params: { kind: 'sleep', ms: 7000 },
    });
    const answer = await raw.next(60_000);
    assert.equal(answer.id, 'slow');
    assert.ok('result' in answer, JSON.stringify(answer));
    raw.socket.end();
    assert.equal(await served.stop(), 0);
  });

  it('while MAX_CLIENTS / 8 workers from the snapshot (one at least) are alive, new workers load the program (each holds more memory)', async () => {
    const cache = tempDir('dbus-mcp-cache-');
    const served = await serveWithSnapshots(cache, { DBUS_MCP_MAX_CLIENTS: '4' });
    await snapshotReady(served);
    const first = await connectClient(served.socketPath);
    const firstPid = await workerPidOf(served);
    assert.ok(startedFromSnapshot(firstPid), 'no worker from the snapshot yet: this one is');
    const newWorkerPid = (known: number[]) =>
      waitFor(
        'the new client’s worker',
        async () =>
          (await served.status()).clients.find(
            (c) => c.state === 'ready' && c.workerPid !== null && !known.includes(c.workerPid),
          )?.workerPid ?? undefined,
      );
    const second = await connectClient(served.socketPath);
    assert.ok((await second.listTools()).tools.length > 0);
    const secondPid = await newWorkerPid([firstPid]);
    assert.equal(startedFromSnapshot(secondPid), false, 'one of four alive: it loads the program');
    // The budget counts live workers: once the first one's is gone, the next starts from it again.
    await first.close();
    await waitFor('the first worker to exit', () => !existsSync(`/proc/${firstPid}`));
    const third = await connectClient(served.socketPath);
    assert.ok((await third.listTools()).tools.length > 0);
    const thirdPid = await newWorkerPid([firstPid, secondPid]);
    assert.ok(startedFromSnapshot(thirdPid), 'none alive again: from the snapshot');
    await Promise.all([second.close(), third.close()]);
    assert.equal(await served.stop(), 0);
  });

  it('workers from the same snapshot do not share random state (subscription ids differ)', async () => {
    const cache = tempDir('dbus-mcp-cache-');
    const served = await serveWithSnapshots(cache);
    await snapshotReady(served);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const client = await connectClient(served.socketPath);
      const sub = await client.callTool({
        name: 'subscribe_signals',
        arguments: { bus: 'session', interface: 'com.example.Nothing', member: 'Never' },
      });
      const id = (sub.structuredContent as { subscription_id?: string } | undefined)?.subscription_id;
      assert.ok(id, JSON.stringify(sub));
      ids.push(id);
      await client.close();
    }
    assert.notEqual(ids[0], ids[1], `the same id from two workers: ${ids.join(', ')}`);
    assert.equal(await served.stop(), 0);
  });

  it('a blob whose content is not what was built is not used: deleted, the client served by a worker that loads the program, built again', async () => {
    const cache = tempDir('dbus-mcp-cache-');
    const served = await serveWithSnapshots(cache);
    const blob = await snapshotReady(served);
    assert.match(readFileSync(`${blob}.sha256`, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(statSync(`${blob}.sha256`).mode & 0o777, 0o600);
    // One byte changed in the middle: node might still start from it, or crash later.
    const bytes = readFileSync(blob);
    const at = bytes.length >> 1;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(blob, bytes);
    const client = await connectClient(served.socketPath);
    assert.ok((await client.listTools()).tools.length > 0);
    assert.equal(startedFromSnapshot(await workerPidOf(served)), false);
    const rejected = await served.waitForLog('worker snapshot rejected; building it again');
    assert.match(String(rejected.problem), /does not match the digest/);
    await client.close();
    // Built again once nothing is booting, and used by the next cold worker.
    const rebuilt = await snapshotReady(served);
    assert.equal(rebuilt, blob);
    assert.notDeepEqual(readFileSync(rebuilt), bytes);
    const next = await connectClient(served.socketPath);
    assert.ok(startedFromSnapshot(await workerPidOf(served)));
    await next.close();
    assert.equal(await served.stop(), 0);
  });

  it('a blob without its recorded digest (an older build, a copied file) is not used', async () => {
    const cache = tempDir('dbus-mcp-cache-');
    const served = await serveWithSnapshots(cache);
    const blob = await snapshotReady(served);
    assert.equal(await served.stop(), 0);
    unlinkSync(`${blob}.sha256`);
    const again = await serveWithSnapshots(cache);
    const client = await connectClient(again.socketPath);
    assert.equal(startedFromSnapshot(await workerPidOf(again)), false);
    const rejected = await again.waitForLog('worker snapshot rejected; building it again');
    assert.match(String(rejected.problem), /no digest recorded/);
    await client.close();
    assert.equal(await again.stop(), 0);
  });

  it('a blob node cannot start from is dropped: the client is served by a worker that loads the program', async () => {
    const cache = tempDir('dbus-mcp-cache-');
    const served = await serveWithSnapshots(cache);
    const blob = await snapshotReady(served);
    // Not a snapshot, but with a matching digest: what node itself refuses (another node's blob).
    writeFileSync(blob, 'not a snapshot', { mode: 0o600 });
    writeFileSync(`${blob}.sha256`, `${createHash('sha256').update('not a snapshot').digest('hex')}\n`);
    const client = await connectClient(served.socketPath);
    assert.ok((await client.listTools()).tools.length > 0);
    assert.equal(startedFromSnapshot(await workerPidOf(served)), false);
    const w = (await served.status()).workerSnapshot;
    assert.equal(w?.state, 'failed');
    assert.match(String(w?.detail), /could not start from it/);
    await served.waitForLog('worker snapshot unusable; workers load the program');
    await client.close();
    assert.equal(await served.stop(), 0);
  });
});
