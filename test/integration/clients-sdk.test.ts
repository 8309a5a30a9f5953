import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientFixture, Route, ServerCommand } from '../helpers/client-fixture.js';
import { ROUTES, TARGET, startClientFixture } from '../helpers/client-fixture.js';
import { onCleanup } from '../helpers/cleanup.js';
import { toolError } from '../helpers/mcp.js';
import type { AnyToolResult, CaseState } from '../helpers/tool-cases.js';
import { TOOLS_WITH_CASES, TOOL_CASES, firstText, runCase } from '../helpers/tool-cases.js';

/**
 * The product driven by the TypeScript SDK clients MCP hosts are built on: the v1 client
 * (`@modelcontextprotocol/sdk` 1.x, 2025 era only; it checks `structuredContent` against the
 * outputSchema whenever present, error results included) and the v2 client in both protocol eras.
 * Each runs a success and a failure of every tool, directly (`dbus-mcp stdio`), through socat
 * and through `dbus-mcp connect`, and must see each result exactly as the server sent it.
 */

type Flavour = 'v1' | 'v2 (2025 era)' | 'v2 (2026-07-28 era)';
const FLAVOURS: readonly Flavour[] = ['v1', 'v2 (2025 era)', 'v2 (2026-07-28 era)'];

interface Session {
  listTools(): Promise<{ tools: { name: string; outputSchema?: unknown }[] }>;
  callTool(name: string, args: Record<string, unknown>): Promise<AnyToolResult>;
  protocolVersion(): string | undefined;
  /** What the server side printed on stderr. */
  stderr(): string;
  close(): Promise<void>;
}

async function open(flavour: Flavour, cmd: ServerCommand): Promise<Session> {
  const info = { name: `clients-test ${flavour}`, version: '1.0.0' };
  let stderr = '';
  const collect = (b: Buffer) => (stderr += b.toString());
  if (flavour === 'v1') {
    const transport = new V1StdioClientTransport({ ...cmd, stderr: 'pipe' });
    transport.stderr?.on('data', collect);
    const client = new V1Client(info);
    await client.connect(transport);
    onCleanup(() => client.close().catch(() => undefined));
    return {
      listTools: () => client.listTools(),
      callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as AnyToolResult,
      // v1 speaks the 2025 era only and does not expose what it negotiated.
      protocolVersion: () => undefined,
      stderr: () => stderr,
      close: () => client.close(),
    };
  }
  const transport = new V2StdioClientTransport({ ...cmd, stderr: 'pipe' });
  transport.stderr?.on('data', collect);
  const client = new V2Client(
    info,
    flavour === 'v2 (2026-07-28 era)' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(transport);
  onCleanup(() => client.close().catch(() => undefined));
  return {
    listTools: () => client.listTools(),
    callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as AnyToolResult,
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
    stderr: () => stderr,
    close: () => client.close(),
  };
}

let fx: ClientFixture;

before(async () => {
  fx = await startClientFixture();
});

for (const flavour of FLAVOURS) {
  for (const route of ROUTES) {
    describe(`${flavour} client, ${routeName(route)}`, () => {
      let s: Session;
      const state: CaseState = {};
      before(async () => {
        s = await open(flavour, fx.command(route));
      });
      after(() => s?.close());

      test('negotiates its era and lists every tool with its outputSchema', async () => {
        const expected = flavour === 'v2 (2026-07-28 era)' ? '2026-07-28' : '2025-11-25';
        if (flavour !== 'v1') assert.equal(s.protocolVersion(), expected);
        // As hosts do: the client learns each tool's outputSchema here and checks results against it.
        const { tools } = await s.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS_WITH_CASES);
        assert.ok(tools.filter((t) => t.outputSchema).length >= 20);
      });

      for (const c of TOOL_CASES) {
        test(`${c.tool} ${c.what}`, async () => {
          await runCase(fx, c, state, (name, args) => s.callTool(name, args));
        });
      }

      test('an unknown tool is a JSON-RPC error naming it', async () => {
        await assert.rejects(s.callTool('no_such_tool', {}), /no_such_tool/);
      });
    });
  }
}

function routeName(route: Route): string {
  return route === 'direct'
    ? 'dbus-mcp stdio'
    : route === 'socat'
      ? 'socat to serve'
      : 'dbus-mcp connect to serve';
}

describe('dbus-mcp stdio and connect are quiet on stderr by default (hosts show every line as an error)', () => {
  /** initialize, tools/list, a successful call, a refused one and a failing one; then close. */
  async function normalSession(
    flavour: Flavour,
    args: string[] = [],
    route: Route = 'direct',
  ): Promise<string> {
    const cmd = fx.command(route);
    const s = await open(flavour, { ...cmd, args: [...cmd.args, ...args] });
    await s.listTools();
    const ok = await s.callTool('get_property', { ...TARGET, property: 'Answer' });
    assert.equal(ok.isError, undefined, firstText(ok));
    const refused = await s.callTool('call_method', { ...TARGET, method: 'Fail', signature: '' });
    assert.equal(toolError(refused).name, 'dbus-mcp.POLICY_DENIED');
    const failed = await s.callTool('get_property', {
      ...TARGET,
      service: 'com.example.Missing',
      property: 'A',
    });
    assert.equal(toolError(failed).name, 'org.freedesktop.DBus.Error.NameHasNoOwner');
    // close() ends stdin and waits for the server to exit; what it printed has arrived by then.
    await s.close();
    await new Promise((r) => setImmediate(r));
    return s.stderr();
  }

  for (const flavour of FLAVOURS) {
    test(`a normal session of the ${flavour} client prints nothing on stderr`, async () => {
      assert.equal(await normalSession(flavour), '');
    });
  }

  test('so does dbus-mcp connect (the 2026-era client probes on a sibling first)', async () => {
    assert.equal(await normalSession('v2 (2026-07-28 era)', [], 'connect'), '');
  });

  test('an explicit --log-level still decides', async () => {
    const lines = (await normalSession('v1', ['--log-level', 'info'])).split('\n').filter(Boolean);
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
