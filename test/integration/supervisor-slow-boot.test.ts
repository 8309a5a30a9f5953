import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import type { TestBus } from '../helpers/buses.js';
import { startSessionBus } from '../helpers/buses.js';
import { INIT_2025, connectClient, programPath, rawConnect, startServe } from '../helpers/supervisor.js';

/**
 * Slow machines (issue 18): workers slowed by the test hook TEST_DBUS_MCP_BOOT_DELAY_MS (worker
 * main.ts; with TEST_DBUS_MCP_BOOT_PROGRESS=1 it reports progress meanwhile, else it is silent).
 */

const run = promisify(execFile);
let bus: TestBus;

before(async () => {
  bus = await startSessionBus();
});

test('a worker that boots slowly but reports progress is not killed: the client is served', async (t) => {
  // Long enough to stay above the no-progress deadline even on a loaded machine (it adapts upwards).
  const delayMs = 20_000;
  const served = await startServe({
    env: {
      DBUS_MCP_SESSION_BUS_ADDRESS: bus.address,
      DBUS_MCP_SPARE_WORKERS: '0',
      DBUS_MCP_WORKER_BOOT_TIMEOUT_MIN_MS: '1000',
      DBUS_MCP_WORKER_BOOT_TIMEOUT_MAX_MS: '90000',
      TEST_DBUS_MCP_BOOT_DELAY_MS: String(delayMs),
      TEST_DBUS_MCP_BOOT_PROGRESS: '1',
    },
  });
  const { bootDeadline } = await served.status();
  // The no-progress deadline adapts to this machine; only below the delay does the test prove anything.
  if (!bootDeadline || bootDeadline.stallMs >= delayMs) {
    t.skip(`this machine's no-progress deadline (${bootDeadline?.stallMs} ms) is not below ${delayMs} ms`);
    return;
  }
  const client = await connectClient(served.socketPath);
  assert.ok((await client.listTools()).tools.length > 0);
  const ready = await served.waitForLog('client ready');
  assert.ok(Number(ready.readyMs) >= delayMs - 500, `booted in ${String(ready.readyMs)} ms: really slowed`);
  assert.ok(!served.logs.some((l) => l.msg === 'worker did not become ready'));
  await client.close();
  assert.equal(await served.stop(), 0);
});

test('spares that never boot make the pool back off and stop, with a warning naming the CPU quota and the key', async () => {
  const served = await startServe({
    env: {
      DBUS_MCP_SESSION_BUS_ADDRESS: bus.address,
      DBUS_MCP_SPARE_WORKERS: '1',
      DBUS_MCP_WORKER_BOOT_TIMEOUT_MIN_MS: '1000',
      DBUS_MCP_WORKER_BOOT_TIMEOUT_MAX_MS: '1000',
      TEST_DBUS_MCP_BOOT_DELAY_MS: '600000',
    },
  });
  const suspended = await served.waitForLog('spare workers suspended', () => true, 90_000);
  assert.match(String(suspended.warning), /spare workers failed to boot 5 times in a row/);
  assert.match(String(suspended.warning), /did not boot/);
  assert.match(String(suspended.warning), /CPU quota|no CPU quota found/);
  assert.match(String(suspended.warning), /CPUQuota=/);
  assert.match(String(suspended.warning), /WORKER_BOOT_TIMEOUT_MIN_MS/);
  const delays = served.logs.filter((l) => l.msg === 'spare workers backing off').map((l) => l.delayMs);
  assert.deepEqual(delays, [1000, 2000, 4000, 8000], 'a growing delay between attempts');
  const spawned = () => served.logs.filter((l) => l.msg === 'spare worker did not boot').length;
  assert.equal(spawned(), 5);

  const doc = await served.status();
  assert.equal(doc.spares?.suspended, true);
  assert.deepEqual(doc.spareWorkers, []);
  assert.match(doc.warnings.join('\n'), /failed to boot 5 times in a row.*CPUQuota=/s);
  const table = await run(process.execPath, [programPath(), 'status'], { env: served.env });
  assert.match(table.stdout, /^warning: spare workers failed to boot 5 times in a row/m);
  assert.match(table.stdout, /spare workers: 0 \(suspended: they did not boot\)/);

  // A client now gets a clear error naming the cause within the bound, not a hang.
  const started = Date.now();
  const raw = await rawConnect(served.socketPath);
  raw.send(INIT_2025);
  const answer = (await raw.next(30_000)) as {
    id: unknown;
    error: { message: string; data: { code: string } };
  };
  assert.equal(answer.id, 'init');
  assert.equal(answer.error.data.code, 'WORKER_START_FAILED');
  assert.match(answer.error.message, /worker could not start \(.*(did not boot|no worker was ready)/);
  assert.match(answer.error.message, /WORKER_BOOT_TIMEOUT_MAX_MS/);
  await raw.closed;
  assert.ok(Date.now() - started < 30_000);

  // Still no fork loop afterwards.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(spawned(), 5);
  assert.equal(await served.stop(), 0);
});
