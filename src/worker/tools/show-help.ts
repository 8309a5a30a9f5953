import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { SAFETY_LEVELS } from '../../shared/config.js';
import type { WorkerDeps } from '../deps.js';
import { dataResult } from '../mcp/result.js';
import type { ToolMap } from '../mcp/tool-descriptions.js';
import { FORBIDDEN_SUMMARY, LEVEL_SUMMARIES, describeLevels } from '../policy/index.js';

const CHANGE_LEVEL =
  'An operator changes the level, never the agent: SAFETY_LEVEL in /etc/dbus-mcp/config or ' +
  '~/.config/dbus-mcp/config, the DBUS_MCP_SAFETY_LEVEL environment variable, or --safety-level; then ' +
  '`systemctl --user reload dbus-mcp-standalone.service` (SIGHUP) for the socket service, or restart the ' +
  'client for direct mode. Operator rule files (*.rules in POLICY_DIRS) open or close single operations.';

const output = z.object({
  level: z.enum(SAFETY_LEVELS),
  levels: z.record(z.string(), z.string()),
  forbidden: z.string(),
  how_to_change: z.string(),
  tools: z.array(z.object({ name: z.string(), title: z.string().optional() })),
  start_here: z.string(),
});

const input = z.object({});

/** `tools` names the server's tools (the index passes the map it is building, show_help included). */
export function registerShowHelp(server: McpServer, deps: WorkerDeps, tools: () => ToolMap): RegisteredTool {
  return server.registerTool(
    'show_help',
    {
      title: 'What this server can do',
      description:
        'Explain what dbus-mcp can do at the current safety level, what each level allows, what is ' +
        'forbidden at every level, how an operator changes the level, and which tools to start with.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const level = deps.config().SAFETY_LEVEL;
      const listed = Object.entries(tools())
        .filter(([, t]) => t.enabled)
        .map(([name, t]) => ({ name, ...(t.title ? { title: t.title } : {}) }));
      const data = {
        level,
        levels: { ...LEVEL_SUMMARIES },
        forbidden: FORBIDDEN_SUMMARY,
        how_to_change: CHANGE_LEVEL,
        tools: listed,
        start_here:
          'list_services → introspect (service, path) → get_property / call_method. explain_policy tells in ' +
          'advance whether an operation is allowed. Values are typed JSON (docs/TOOLS.md).',
      };
      return dataResult(data, `${describeLevels(level)}\n\n${CHANGE_LEVEL}`);
    },
  );
}
