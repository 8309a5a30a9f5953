import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigKey } from '../../src/shared/config.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import type { WorkerRuntime } from '../../src/worker/runtime.js';
import { createWorkerRuntime } from '../../src/worker/runtime.js';
import { onCleanup } from './cleanup.js';

export type Era = '2025' | '2026';

export interface InMemorySession {
  client: Client;
  runtime: WorkerRuntime;
  /** JSON log lines the worker wrote (policy audit lines among them). */
  logLines: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface InMemoryOptions {
  era?: Era;
  /** Config keys as strings, exactly as they would appear in a config file. */
  settings?: Partial<Record<ConfigKey, string>>;
  /** Client capabilities, e.g. { elicitation: {} }. */
  capabilities?: Record<string, unknown>;
  clientId?: string;
  /** Further Client options (e.g. listChanged handlers). */
  clientOptions?: Record<string, unknown>;
  /** The worker logger's level (default debug); its lines land in `logLines`. */
  logLevel?: string;
  /** The worker's environment besides HOME (a temp dir unless given here): XDG_CURRENT_DESKTOP, … */
  env?: Record<string, string>;
}

/**
 * A real SDK client talking to our real server over the SDK's in-memory transport pair, served
 * through serveStdio (the same era selection the worker uses). Buses come from `settings`.
 */
export async function connectInMemory(options: InMemoryOptions = {}): Promise<InMemorySession> {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-mcp-'));
  const configFile = join(dir, 'config');
  writeFileSync(
    configFile,
    Object.entries({ POLICY_DIRS: join(dir, 'policy.d'), ...options.settings })
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n'),
  );
  const { config } = loadConfig({ env: { HOME: dir }, configFile });
  const logLines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: options.logLevel ?? 'debug',
    name: 'test-worker',
    env: {},
    write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const runtime = createWorkerRuntime({
    config,
    log,
    clientId: options.clientId ?? 'test-client',
    env: { HOME: dir, ...options.env },
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const handle = serveStdio(runtime.factory, { transport: serverTransport });
  const client = new Client(
    { name: 'dbus-mcp-test', version: '1.0.0' },
    {
      capabilities: options.capabilities ?? {},
      ...(options.era === '2026' ? { versionNegotiation: { mode: 'auto' as const } } : {}),
      ...options.clientOptions,
    },
  );
  await client.connect(clientTransport);
  return {
    client,
    runtime,
    logLines,
    async close() {
      await client.close().catch(() => undefined);
      await handle.close().catch(() => undefined);
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls a tool and returns its result with `structuredContent` typed loosely for assertions. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult & { structuredContent?: Record<string, unknown> }> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult & {
    structuredContent?: Record<string, unknown>;
  };
}

/** The text of a result's first content block. */
export function resultText(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === 'text' ? first.text : '';
}

/** The `_meta` key of a failed result's machine-readable error (src/worker/mcp/result.ts). */
export const ERROR_META_KEY = 'dbus-mcp/error';

export interface ToolError {
  name: string;
  message: string;
  [extra: string]: unknown;
}

/**
 * The machine-readable error of a failed result, from `_meta['dbus-mcp/error']`. Asserts the
 * result's shape on the way: `isError`, the text (`name: message`, the hint once on its own line),
 * and no `structuredContent` (which would have to match the tool's outputSchema; clients that
 * check it on errors hide the error).
 */
export function toolError(result: { isError?: boolean; content?: unknown; _meta?: unknown }): ToolError {
  const r = result as CallToolResult & { structuredContent?: unknown };
  if (r.isError !== true) throw new Error(`not an error result: ${JSON.stringify(result)}`);
  if (r.structuredContent !== undefined) {
    throw new Error(`an error result carries structuredContent: ${JSON.stringify(result)}`);
  }
  const info = (r._meta as Record<string, unknown> | undefined)?.[ERROR_META_KEY] as ToolError | undefined;
  if (!info || typeof info.name !== 'string' || typeof info.message !== 'string') {
    throw new Error(`no ${ERROR_META_KEY} in _meta: ${JSON.stringify(result)}`);
  }
  // Exactly "name: message", then the hint on its own line: each said once.
  const expected = `${info.name}: ${info.message}${typeof info.hint === 'string' ? `\n${info.hint}` : ''}`;
  if (resultText(r) !== expected) {
    throw new Error(
      `the text is not "name: message[\\nhint]" (${JSON.stringify(expected)}): ${JSON.stringify(result)}`,
    );
  }
  if (typeof info.hint === 'string' && info.message.includes(info.hint)) {
    throw new Error(`the hint is in the message too: ${JSON.stringify(result)}`);
  }
  return info;
}

/** The error name of a result, or undefined for a successful one (checked with {@link toolError}). */
export function errorName(result: {
  isError?: boolean;
  content?: unknown;
  _meta?: unknown;
}): string | undefined {
  return result.isError ? toolError(result).name : undefined;
}

export interface StdioProduct {
  client: Client;
  /** Everything the program wrote on stderr so far. */
  stderr(): string;
  /** Closes the client (and so the program); idempotent, also run at cleanup. */
  close(): Promise<void>;
}

/** `command args` (a `dbus-mcp stdio`) as an MCP server of a v2 SDK client, its stderr kept. */
export async function connectStdio(opts: {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  clientName: string;
}): Promise<StdioProduct> {
  const transport = new StdioClientTransport({
    command: opts.command,
    args: opts.args,
    env: opts.env,
    stderr: 'pipe',
    cwd: opts.cwd,
  });
  let stderr = '';
  transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const client = new Client({ name: opts.clientName, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.close().catch(() => undefined);
  };
  onCleanup(close);
  return { client, stderr: () => stderr, close };
}
