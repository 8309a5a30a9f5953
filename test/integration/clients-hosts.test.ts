import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MCPClient } from '@ai-sdk/mcp';
import { createMCPClient } from '@ai-sdk/mcp';
import { Experimental_StdioMCPTransport as StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import type { ClientFixture, ServerCommand } from '../helpers/client-fixture.js';
import { SERVICE, TARGET, startClientFixture } from '../helpers/client-fixture.js';
import { onCleanup, trackPid, untrackPid } from '../helpers/cleanup.js';
import { toolError } from '../helpers/mcp.js';
import type { AnyToolResult, CaseState } from '../helpers/tool-cases.js';
import { TOOLS_WITH_CASES, TOOL_CASES, firstText, runCase } from '../helpers/tool-cases.js';

/**
 * Two clients people run besides the SDK's own: the MCP Inspector CLI (0.15, the last for
 * Node 20; built on the v1 SDK client, it exits 1 when a result breaks the tool's outputSchema)
 * and the Vercel AI SDK's MCP client (`@ai-sdk/mcp`, 2025 era). Both must show a refused call's
 * `dbus-mcp.POLICY_DENIED` text and a D-Bus error's name, directly and through the socket.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const INSPECTOR = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector-cli', 'build', 'index.js');

let fx: ClientFixture;

before(async () => {
  fx = await startClientFixture();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `inspector --cli CMD ARGS --method tools/call --tool-name NAME --tool-arg k=v …` (as the README shows). */
function inspect(cmd: ServerCommand, tool: string, args: Record<string, string>): Promise<Run> {
  const toolArgs = Object.entries(args).flatMap(([k, v]) => ['--tool-arg', `${k}=${v}`]);
  const child = spawn(
    process.execPath,
    [INSPECTOR, cmd.command, ...cmd.args, '--method', 'tools/call', '--tool-name', tool, ...toolArgs],
    // The Inspector hands its own environment to the server it starts.
    { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid as number;
  trackPid(pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      untrackPid(pid);
      resolve({ code, stdout, stderr });
    });
  });
}

const inspected = (run: Run): AnyToolResult => {
  assert.equal(run.code, 0, `the Inspector exited ${run.code}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as AnyToolResult;
};

describe('the MCP Inspector CLI shows results as sent', () => {
  // Directly and through the socket (socat); the SDK tests cover `dbus-mcp connect`.
  for (const route of ['direct', 'socat'] as const) {
    test(`a refusal and a D-Bus error exit 0 and show the error (${route})`, async () => {
      const cmd = fx.command(route);
      const [refused, failed] = await Promise.all([
        // (the Inspector takes no empty values: the signature comes from introspection)
        inspect(cmd, 'call_method', { ...TARGET, method: 'Fail' }),
        inspect(cmd, 'get_property', { ...TARGET, service: 'com.example.Missing', property: 'Answer' }),
      ]);
      const denial = inspected(refused);
      assert.equal(toolError(denial).name, 'dbus-mcp.POLICY_DENIED');
      assert.match(firstText(denial), /^dbus-mcp\.POLICY_DENIED: .*not allowed at level medium/);
      const error = inspected(failed);
      assert.equal(toolError(error).name, 'org.freedesktop.DBus.Error.NameHasNoOwner');
      assert.match(firstText(error), /^org\.freedesktop\.DBus\.Error\.NameHasNoOwner: /);
    });
  }
});

type AiTools = Awaited<ReturnType<MCPClient['tools']>>;

// Directly and through the socket (`dbus-mcp connect`); the SDK tests cover socat.
for (const route of ['direct', 'connect'] as const) {
  describe(`the AI SDK MCP client, ${route}`, () => {
    let client: MCPClient;
    let tools: AiTools;
    const state: CaseState = {};
    before(async () => {
      client = await createMCPClient({
        transport: new StdioMCPTransport({ ...fx.command(route), stderr: 'ignore' }),
        name: 'ai-sdk-clients-test',
      });
      onCleanup(() => client.close().catch(() => undefined));
      tools = await client.tools();
    });
    after(() => client?.close());

    test('every tool is offered to the model', () => {
      assert.deepEqual(Object.keys(tools).sort(), TOOLS_WITH_CASES);
    });

    /** What the model is given for a result: the AI SDK's own conversion of the tool output. */
    const modelText = async (name: string, input: unknown, output: unknown) => {
      const converted = await tools[name]?.toModelOutput?.({
        toolCallId: 'call-1',
        input,
        output: output as never,
      });
      assert.equal(converted?.type, 'content', JSON.stringify(converted));
      return (converted as { value: { type: string; text?: string }[] }).value
        .map((p) => p.text ?? '')
        .join('\n');
    };

    for (const c of TOOL_CASES) {
      test(`${c.tool} ${c.what}`, async () => {
        const result = await runCase(fx, c, state, async (name, args) => {
          const tool = tools[name];
          assert.ok(tool?.execute, `no tool ${name}`);
          return (await tool.execute(args, { toolCallId: 'call-1', messages: [] })) as AnyToolResult;
        });
        if ('error' in c.expect) {
          const seen = await modelText(c.tool, c.args(state), result);
          assert.ok(seen.startsWith(`${c.expect.error}: `), seen);
        }
      });
    }

    test('a refused call reaches the model with its level and what would allow it', async () => {
      const input = { ...TARGET, method: 'Fail', signature: '' };
      const output = await tools.call_method?.execute?.(input, { toolCallId: 'call-2', messages: [] });
      const seen = await modelText('call_method', input, output);
      assert.match(seen, /^dbus-mcp\.POLICY_DENIED: .*not allowed at level medium/);
      assert.match(seen, new RegExp(`allow session ${SERVICE.replaceAll('.', '\\.')} `));
    });
  });
}
