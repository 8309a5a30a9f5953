import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { managerRequest, systemdMissing } from '../desktop/systemd.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { managerInput } from '../mcp/schemas.js';
import { globToRegExp } from '../policy/glob.js';

type Row = [string, string, string, string, string, string, string, number, string, string];

const unit = z.object({
  name: z.string(),
  description: z.string(),
  load: z.string(),
  active: z.string(),
  sub: z.string(),
  job: z.string().optional().describe('A queued job type, e.g. start.'),
});
const output = z.object({
  manager: z.enum(['user', 'system']),
  total: z.number().describe('Units the manager has loaded.'),
  count: z.number(),
  truncated: z.boolean(),
  units: z.array(unit),
});

const input = z.object({
  manager: managerInput,
  pattern: z.string().min(1).max(255).optional().describe('Glob on the unit name; * matches anything.'),
  state: z.string().min(1).max(64).optional().describe('Active or sub state, e.g. active, failed, running.'),
  max: z.number().int().min(1).max(5000).default(500).describe('Most units to return.'),
});

export function registerListUnits(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'list_units',
    {
      title: 'List systemd units',
      description:
        'List the units systemd has loaded (like `systemctl list-units --all`): name, description, load, ' +
        'active and sub state, queued job. manager: user (default) or system. Filter by `pattern` (glob on the ' +
        'name, e.g. "*.timer" or "nginx*") and `state` (matches the active or sub state, e.g. failed, running). ' +
        'Use unit_status for one unit in detail. Read-only.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ manager, pattern, state, max }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const req = managerRequest(manager, 'ListUnits', 'read');
        const rows = await deps.gate.run(req, octx, async (op) => {
          try {
            return ((await op.call()).body[0] ?? []) as Row[];
          } catch (e) {
            throw systemdMissing(e, manager);
          }
        });
        const re = pattern ? globToRegExp(pattern) : undefined;
        const matching = rows
          .filter(
            ([name, , , active, sub]) =>
              (!re || re.test(name)) && (!state || active === state || sub === state),
          )
          .sort((a, b) => a[0].localeCompare(b[0]));
        const units = matching.slice(0, max).map(([name, description, load, active, sub, , , , job]) => ({
          name,
          description,
          load,
          active,
          sub,
          ...(job ? { job } : {}),
        }));
        return dataResult({
          manager,
          total: rows.length,
          count: units.length,
          truncated: matching.length > max,
          units,
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
