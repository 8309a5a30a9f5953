/**
 * Issue 12 §7, argument bounds, with the real program: `dbus-mcp serve` on a socket, an SDK client
 * through socat, a real dbus-daemon and a dbusmock service. A 600,000-element array and a value
 * past MAX_CALL_ARG_BYTES are refused with INVALID_ARGUMENT naming the bound and its key, nothing
 * reaches the service, and the same worker answers the next call. (Speed is not asserted: the
 * error is; bench/ measures.)
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { addMockMethod, addMockProperty, mockCall, startMock, startSessionBus } from '../helpers/buses.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import { toolError } from '../helpers/mcp.js';
import type { Served } from '../helpers/supervisor.js';
import { connectClient, startServe, workerPidOf } from '../helpers/supervisor.js';

const SVC = { service: 'com.example.Bounds', path: '/com/example/Bounds', interface: 'com.example.Bounds' };

let bus: TestBus;
let mock: MockService;
let served: Served;
let client: Client;

before(async () => {
  bus = await startSessionBus();
  mock = await startMock(bus, [SVC.service, SVC.path, SVC.interface]);
  await addMockMethod(bus, mock, {
    interface: SVC.interface,
    name: 'Take',
    inSig: 'ai',
    outSig: 'u',
    code: 'ret = len(args[0])',
  });
  await addMockProperty(bus, mock, { interface: SVC.interface, name: 'Label', signature: 's', value: 'x' });
  served = await startServe({
    env: {
      DBUS_MCP_SESSION_BUS_ADDRESS: bus.address,
      DBUS_MCP_SAFETY_LEVEL: 'low',
      DBUS_MCP_SPARE_WORKERS: '0',
    },
  });
  client = await connectClient(served.socketPath);
});

async function call(name: string, args: Record<string, unknown>) {
  return client.callTool({ name, arguments: args }) as Promise<Parameters<typeof toolError>[0]>;
}

describe('arguments are bounded before they are converted or sent', () => {
  test('a 600,000-element array gets INVALID_ARGUMENT naming MAX_CALL_ARG_ELEMENTS; the worker answers the next call', async () => {
    const pid = await workerPidOf(served);
    const r = await call('call_method', {
      ...SVC,
      method: 'Take',
      args: [new Array<number>(600_000).fill(0)],
    });
    const err = toolError(r);
    assert.equal(err.name, 'dbus-mcp.INVALID_ARGUMENT');
    assert.match(err.message, /MAX_CALL_ARG_ELEMENTS/);
    assert.match(err.message, /65536/);
    const small = await call('call_method', { ...SVC, method: 'Take', args: [[1, 2, 3]] });
    assert.deepEqual((small as { structuredContent?: { values: unknown[] } }).structuredContent?.values, [3]);
    assert.equal(await workerPidOf(served), pid, 'the same worker served both calls');
  });

  test('a value past MAX_CALL_ARG_BYTES is refused, as a property value and as an argument of a call', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    const set = toolError(await call('set_property', { ...SVC, property: 'Label', value: big }));
    assert.equal(set.name, 'dbus-mcp.INVALID_ARGUMENT');
    assert.match(set.message, /MAX_CALL_ARG_BYTES/);
    const method = toolError(
      await call('call_method', { ...SVC, method: 'Take', args: [big], signature: 's' }),
    );
    assert.equal(method.name, 'dbus-mcp.INVALID_ARGUMENT');
    assert.match(method.message, /MAX_CALL_ARG_BYTES/);
    const [calls] = await mockCall(bus, mock, 'GetCalls', '', []);
    const members = (calls as [bigint, string, unknown[]][]).map((c) => c[1]);
    assert.deepEqual(members, ['Take'], 'only the small Take reached the service');
  });
});
