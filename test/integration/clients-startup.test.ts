import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { TestBus } from '../helpers/buses.js';
import { startSessionBus } from '../helpers/buses.js';
import { onCleanup } from '../helpers/cleanup.js';
import type { Served } from '../helpers/supervisor.js';
import { programPath, startServe, tempDir, waitFor } from '../helpers/supervisor.js';

/**
 * Start-up as hosts do it. Claude Code starts every configured server at the same moment and
 * probes each for the 2026-07-28 era with `server/discover` under a short bound; a server that
 * has not answered by then is used in the 2025 era. The v2 SDK client does the same with
 * `versionNegotiation: { mode: 'auto' }`: for a stdio server it spawns a disposable sibling of the
 * command for the probe (default bound: the request timeout, 60 s) and, on a timeout, falls back
 * to the 2025 era silently. With the bound hosts use, four `dbus-mcp connect` started together
 * must all reach the 2026-07-28 era.
 */

/** A bound of the size hosts give the probe (Claude Code fell back when connect took 3.1 s). */
const PROBE_TIMEOUT_MS = 2000;
const CLIENTS = 4;

let bus: TestBus;
let served: Served;

before(async () => {
  bus = await startSessionBus();
  const dir = tempDir('dbus-mcp-startup-');
  writeFileSync(join(dir, 'config'), `SESSION_BUS_ADDRESS="${bus.address}"\n`);
  served = await startServe({ dir, env: { XDG_CACHE_HOME: tempDir('dbus-mcp-cache-') } });
  // The service as a host meets it on a normal day: at rest, its worker snapshot built (on the
  // first day the first workers load the program instead), the spare booted.
  await waitFor(
    'the service at rest',
    async () => {
      const st = await served.status();
      assert.notEqual(st.workerSnapshot?.state, 'failed', st.workerSnapshot?.detail);
      return st.workerSnapshot?.state === 'ready' && st.spareWorkers.every((w) => w.state === 'idle')
        ? true
        : undefined;
    },
    120_000,
  );
});

async function startHostClient(i: number): Promise<{ client: Client; ms: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [programPath(), 'connect'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: served.dir,
      DBUS_MCP_SOCKET_PATH: served.socketPath,
    },
    stderr: 'ignore',
  });
  const client = new Client(
    { name: `startup-host-${i}`, version: '1.0.0' },
    { versionNegotiation: { mode: 'auto', probe: { timeoutMs: PROBE_TIMEOUT_MS } } },
  );
  const started = Date.now();
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => undefined));
  return { client, ms: Date.now() - started };
}

// Each host client makes two connections (the sibling probe, then its session), so four clients
// make eight connections and start eight `dbus-mcp connect` processes at once. The probes need no
// worker: the supervisor answers `server/discover` itself with what its spare answered for the
// configuration in force (supervisor/start-answers.ts), so a probe waits only for its bridge
// process, not for a worker to boot. (Before that, on this shared 2-CPU machine at load 10–18,
// the probes were answered after 0.9–5 s and one or two of the four fell back to 2025-11-25.)
test(`${CLIENTS} clients started at the same moment through dbus-mcp connect all negotiate 2026-07-28`, async (t) => {
  const sessions = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => startHostClient(i)));
  const connections = served.logs.filter((l) => l.msg === 'client connected').length;
  t.diagnostic(`connect times (ms): ${sessions.map((s) => s.ms).join(', ')}; connections: ${connections}`);
  const eras = sessions.map((s) => s.client.getNegotiatedProtocolVersion());
  assert.deepEqual(eras, Array(CLIENTS).fill('2026-07-28'), `probe bound ${PROBE_TIMEOUT_MS} ms`);
  for (const { client } of sessions) {
    assert.ok((await client.listTools()).tools.some((tool) => tool.name === 'list_services'));
    await client.close();
  }
});
