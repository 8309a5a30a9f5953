import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import { addMockProperty, startMock, startSessionBus } from '../helpers/buses.js';
import { onCleanup, trackDir } from '../helpers/cleanup.js';
import { resultText, toolError } from '../helpers/mcp.js';
import { programPath } from '../helpers/supervisor.js';

/**
 * The v1 TypeScript SDK client (`@modelcontextprotocol/sdk` 1.x, inside most MCP hosts) checks
 * `structuredContent` against the tool's outputSchema whenever it is present, on error results
 * too, and replaces a mismatch with a protocol error: it must see our errors exactly as sent.
 */

const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-clients-'));
trackDir(dir);
const configFile = join(dir, 'config');
writeFileSync(configFile, `POLICY_DIRS="${join(dir, 'policy.d')}"\n`);

let bus: TestBus;
let mock: MockService;

before(async () => {
  bus = await startSessionBus();
  mock = await startMock(bus, ['com.example.Clients', '/com/example/Clients', 'com.example.Clients']);
  await addMockProperty(bus, mock, {
    interface: 'com.example.Clients',
    name: 'Answer',
    signature: 'i',
    value: 42,
  });
});

after(async () => {
  await mock?.stop();
  await bus?.stop();
});

async function v1Direct(): Promise<V1Client> {
  const transport = new V1StdioClientTransport({
    command: process.execPath,
    args: [programPath(), 'stdio'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      DBUS_MCP_CONFIG: configFile,
      DBUS_SESSION_BUS_ADDRESS: bus.address,
      DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(dir, 'no-system-bus')}`,
    },
    stderr: 'pipe',
  });
  const client = new V1Client({ name: 'v1-client-test', version: '1.0.0' });
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => undefined));
  return client;
}

const TARGET = {
  service: 'com.example.Clients',
  path: '/com/example/Clients',
  interface: 'com.example.Clients',
};

describe('error results reach the v1 SDK client as sent', () => {
  let client: V1Client;
  before(async () => {
    client = await v1Direct();
    // As hosts do: the client learns each tool's outputSchema here and checks results against it.
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'get_property' && t.outputSchema));
  });
  after(() => client.close());

  test('a successful call keeps its structuredContent', async () => {
    const r = await client.callTool({ name: 'get_property', arguments: { ...TARGET, property: 'Answer' } });
    assert.equal(r.isError, undefined, JSON.stringify(r));
    assert.equal((r.structuredContent as { value: number }).value, 42);
  });

  test('a refused call shows dbus-mcp.POLICY_DENIED, not an output-schema error', async () => {
    const r = await client.callTool({
      name: 'call_method',
      arguments: { ...TARGET, method: 'Go', signature: '' },
    });
    assert.equal(toolError(r).name, 'dbus-mcp.POLICY_DENIED');
    assert.match(resultText(r as never), /^dbus-mcp\.POLICY_DENIED: .*not allowed at level high/);
  });

  test('a failing call shows the D-Bus error name', async () => {
    const r = await client.callTool({
      name: 'get_property',
      arguments: { ...TARGET, service: 'com.example.Missing', property: 'Answer' },
    });
    assert.equal(toolError(r).name, 'org.freedesktop.DBus.Error.NameHasNoOwner');
    assert.match(resultText(r as never), /^org\.freedesktop\.DBus\.Error\.NameHasNoOwner: /);
  });
});
