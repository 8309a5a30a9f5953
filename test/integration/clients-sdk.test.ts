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

function directEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    DBUS_MCP_CONFIG: configFile,
    DBUS_SESSION_BUS_ADDRESS: bus.address,
    DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(dir, 'no-system-bus')}`,
  };
}

/** A v1 SDK client that spawns `dbus-mcp stdio ARGS`; `stderr` collects what the server printed there. */
async function v1Direct(args: string[] = []): Promise<{ client: V1Client; stderr: () => string }> {
  const transport = new V1StdioClientTransport({
    command: process.execPath,
    args: [programPath(), 'stdio', ...args],
    env: directEnv(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const client = new V1Client({ name: 'v1-client-test', version: '1.0.0' });
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => undefined));
  return { client, stderr: () => stderr };
}

const TARGET = {
  service: 'com.example.Clients',
  path: '/com/example/Clients',
  interface: 'com.example.Clients',
};

describe('error results reach the v1 SDK client as sent', () => {
  let client: V1Client;
  before(async () => {
    ({ client } = await v1Direct());
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

describe('dbus-mcp stdio is quiet on stderr by default (hosts show every line as an error)', () => {
  /** initialize, tools/list, a successful call, a refused one and a failing one; then close. */
  async function normalSession(args: string[] = []): Promise<string> {
    const { client, stderr } = await v1Direct(args);
    await client.listTools();
    const ok = await client.callTool({ name: 'get_property', arguments: { ...TARGET, property: 'Answer' } });
    assert.equal(ok.isError, undefined, JSON.stringify(ok));
    const refused = await client.callTool({
      name: 'call_method',
      arguments: { ...TARGET, method: 'Go', signature: '' },
    });
    assert.equal(toolError(refused).name, 'dbus-mcp.POLICY_DENIED');
    const failed = await client.callTool({
      name: 'get_property',
      arguments: { ...TARGET, service: 'com.example.Missing', property: 'Answer' },
    });
    assert.equal(toolError(failed).name, 'org.freedesktop.DBus.Error.NameHasNoOwner');
    // close() ends stdin and waits for the server to exit; what it printed has arrived by then.
    await client.close();
    await new Promise((r) => setImmediate(r));
    return stderr();
  }

  test('a normal session with default settings prints nothing on stderr', async () => {
    assert.equal(await normalSession(), '');
  });

  test('an explicit --log-level still decides', async () => {
    const lines = (await normalSession(['--log-level', 'info'])).split('\n').filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l) as { msg?: string; audit?: string });
    assert.ok(
      parsed.some((l) => l.msg === 'serving on stdio'),
      lines.join('\n'),
    );
    assert.ok(
      parsed.some((l) => l.audit === 'policy'),
      'the refusal is audited at info',
    );
  });
});
