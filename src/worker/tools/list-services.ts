import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { busInput } from '../mcp/schemas.js';
import { listServices } from '../queries/list-services.js';

const serviceEntry = z.object({
  name: z.string(),
  owner: z.string().optional().describe('Unique name of the connection that owns the name.'),
  pid: z.number().optional(),
  process: z.string().optional().describe('Process name (from /proc) when the bus tells the pid.'),
  running: z.boolean().describe('false: the name is activatable but nobody owns it yet.'),
  activatable: z.boolean(),
});

const output = z.object({
  bus: z.enum(['session', 'system']),
  count: z.number(),
  services: z.array(serviceEntry),
});

const input = z.object({
  bus: busInput,
  include_unique: z.boolean().default(false).describe('Also list unique connection names (:1.x).'),
});

export function registerListServices(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'list_services',
    {
      title: 'List D-Bus services',
      description:
        'List the services on a bus: well-known names with the unique name and pid/process of their owner, ' +
        'plus activatable names not running yet (flagged running=false). Start here to find a service, ' +
        'then use introspect or list_objects on it. include_unique=true also lists bare unique names (:1.x).',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ bus, include_unique }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const services = await listServices(deps.gate, bus, { includeUnique: include_unique }, octx);
        return dataResult({ bus, count: services.length, services });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
