import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import type { MockService, TestBus } from '../helpers/buses.js';
import { mockCall, startMock, startSessionBus } from '../helpers/buses.js';
import { errorName, toolError } from '../helpers/mcp.js';
import type { Served } from '../helpers/supervisor.js';
import { connectClient, startServe, waitFor, waitGone, workerPidOf } from '../helpers/supervisor.js';

/**
 * Rate limits survive reconnecting (issue 12 §6), against the real supervisor: the service-wide
 * buckets are the supervisor's, so a client that disconnects and comes back, several clients at
 * once, a crashed worker and a SIGHUP all draw from the same tokens. Limits of 1 or 2 per minute
 * refill one token in 30–60 s, far longer than each test's steps take.
 */

let bus: TestBus;
let daemon: MockService;

before(async () => {
  bus = await startSessionBus();
  daemon = await startMock(bus, ['--template', 'notification_daemon']);
});

async function notifications(): Promise<number> {
  const [calls] = (await mockCall(bus, daemon, 'GetCalls', '', [])) as [[unknown, string][]];
  return calls.filter((c) => c[1] === 'Notify').length;
}

const notify = (client: Client, n: number) =>
  client.callTool({ name: 'notify', arguments: { title: `t${n}`, message: 'm' } }) as Promise<{
    isError?: boolean;
    content?: unknown;
    _meta?: unknown;
  }>;

function serve(env: Record<string, string>): Promise<Served> {
  return startServe({
    env: { DBUS_MCP_SESSION_BUS_ADDRESS: bus.address, DBUS_MCP_LOG_LEVEL: 'info', ...env },
  });
}

function assertLimited(r: Awaited<ReturnType<typeof notify>>, scope: RegExp, what: string): void {
  assert.equal(errorName(r), 'dbus-mcp.RATE_LIMITED', `${what}: ${JSON.stringify(r.content)}`);
  assert.match(toolError(r).message, scope, what);
  assert.ok(Number(toolError(r).retry_after_ms) > 0, what);
}

describe('rate limits survive reconnecting', () => {
  test('RATE_LIMIT_NOTIFY=2: refused for a third notification, a new connection is refused too', async () => {
    const served = await serve({ DBUS_MCP_RATE_LIMIT_NOTIFY: '2' });
    const before = await notifications();
    const first = await connectClient(served.socketPath);
    assert.equal((await notify(first, 1)).isError, undefined);
    assert.equal((await notify(first, 2)).isError, undefined);
    assertLimited(await notify(first, 3), /per minute/, 'the third notification');
    await first.close();
    const again = await connectClient(served.socketPath);
    assertLimited(await notify(again, 4), /all clients of this server together/, 'a new connection');
    const modern = await connectClient(served.socketPath, { modern: true });
    assertLimited(await notify(modern, 5), /all clients of this server together/, 'a 2026-era connection');
    assert.equal(await notifications(), before + 2, 'exactly two notifications reached the daemon');
    await served.stop();
  });

  test('several clients share the service bucket (RATE_LIMIT_SERVICE_NOTIFY) within their own', async () => {
    const served = await serve({ DBUS_MCP_RATE_LIMIT_NOTIFY: '50', DBUS_MCP_RATE_LIMIT_SERVICE_NOTIFY: '2' });
    const before = await notifications();
    const [a, b, c] = await Promise.all([
      connectClient(served.socketPath),
      connectClient(served.socketPath),
      connectClient(served.socketPath, { modern: true }),
    ]);
    assert.equal((await notify(a, 1)).isError, undefined);
    assert.equal((await notify(b, 2)).isError, undefined);
    for (const [client, what] of [
      [a, 'a'],
      [b, 'b'],
      [c, 'c'],
    ] as const) {
      assertLimited(await notify(client, 3), /all clients of this server together/, what);
    }
    assert.equal(await notifications(), before + 2);
    await served.stop();
  });

  test('a crashed worker and a SIGHUP keep the service bucket', async () => {
    const served = await serve({ DBUS_MCP_RATE_LIMIT_NOTIFY: '50', DBUS_MCP_RATE_LIMIT_SERVICE_NOTIFY: '1' });
    const before = await notifications();
    const client = await connectClient(served.socketPath);
    assert.equal((await notify(client, 1)).isError, undefined);
    assertLimited(await notify(client, 2), /all clients of this server together/, 'before the crash');

    const pid = await workerPidOf(served);
    process.kill(pid, 'SIGKILL');
    await waitGone(pid);
    const next = await waitFor('a replacement worker', async () => {
      const p = await workerPidOf(served);
      return p !== pid ? p : undefined;
    });
    assert.notEqual(next, pid);
    assertLimited(await notify(client, 3), /all clients of this server together/, 'after the crash');

    served.proc.kill('SIGHUP');
    await served.waitForLog('configuration reloaded');
    assertLimited(await notify(client, 4), /all clients of this server together/, 'after SIGHUP');
    const fresh = await connectClient(served.socketPath);
    assertLimited(await notify(fresh, 5), /all clients of this server together/, 'a new client after both');
    assert.equal(await notifications(), before + 1);
    await served.stop();
  });

  test('reads are never rate-limited (they ask nobody)', async () => {
    const served = await serve({
      DBUS_MCP_RATE_LIMIT_SERVICE_MUTATING: '1',
      DBUS_MCP_RATE_LIMIT_NOTIFY: '1',
    });
    const client = await connectClient(served.socketPath);
    for (let i = 0; i < 5; i++) {
      const r = await client.callTool({ name: 'list_services', arguments: {} });
      assert.equal(r.isError, undefined, JSON.stringify(r.content));
    }
    await served.stop();
  });
});
