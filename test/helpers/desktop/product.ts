import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { connectStdio } from '../mcp.js';
import { copyProgram } from '../supervisor.js';
import { asUser, userDir } from './procs.js';
import type { Desktop } from './session.js';

/**
 * The product as a user of the desktop runs it: the built program (`dbus-mcp stdio`, copied into
 * the session's directory so the desktop user can read it) started by a real SDK client, as the
 * desktop user, with the session's environment and a config naming only the safety level.
 */

export type Level = 'high' | 'medium' | 'low';

export interface Product {
  client: Client;
  /** Everything the program wrote on stderr so far. */
  stderr(): string;
  /** SCREENSHOT_DIR (the default under the session's home). */
  screenshotDir: string;
  call(
    name: string,
    args?: Record<string, unknown>,
    opts?: {
      onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
      timeout?: number;
    },
  ): Promise<ToolResult>;
  close(): Promise<void>;
}

export type ToolResult = CallToolResult & { structuredContent?: Record<string, unknown> };

/**
 * The error name a failed tool result carries (`dbus-mcp.CODE` or the D-Bus error name): from its
 * `_meta` (`dbus-mcp/error`), else the `name:` its text starts with.
 */
export function errorName(r: ToolResult): string | undefined {
  if (!r.isError) return undefined;
  const meta = r._meta?.['dbus-mcp/error'] as { name?: string } | undefined;
  return meta?.name ?? /^([\w.-]+): /.exec(textOf(r))?.[1];
}

/** All text blocks of a result, joined. */
export function textOf(r: ToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

export async function startProduct(
  desk: Desktop,
  opts: { level: Level; env?: Record<string, string>; label?: string },
): Promise<Product> {
  const dir = userDir(desk.user, join(desk.dir, `product-${opts.label ?? opts.level}`), 0o755);
  const program = copyProgram(dir);
  const config = join(dir, 'config');
  writeFileSync(config, `SAFETY_LEVEL="${opts.level}"\nPOLICY_DIRS="${join(dir, 'policy.d')}"\n`);
  chmodSync(config, 0o644);
  const [command, args] = asUser(desk.user, process.execPath, [program, 'stdio']);
  const env = desk.env({ DBUS_MCP_CONFIG: config, ...opts.env });
  const { client, stderr, close } = await connectStdio({
    command,
    args,
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    cwd: dir,
    clientName: 'dbus-mcp-desktop-test',
  });
  return {
    client,
    stderr,
    screenshotDir: join(desk.home, '.cache', 'dbus-mcp', 'screenshots'),
    async call(name, args = {}, o = {}) {
      return (await client.callTool({ name, arguments: args }, o)) as ToolResult;
    },
    close,
  };
}
