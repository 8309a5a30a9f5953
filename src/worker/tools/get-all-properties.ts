import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { autoStartInput, busInput, interfaceInput, pathInput, serviceInput } from '../mcp/schemas.js';
import { getAllRequest, readTypedProperties } from '../queries/properties.js';

/** Past this much JSON the remaining properties are named but their values left out. */
const MAX_RESULT_CHARS = 512 * 1024;

const output = z.object({
  service: z.string(),
  path: z.string(),
  interface: z.string(),
  properties: z.record(z.string(), z.object({ signature: z.string(), value: z.unknown() })),
  truncated: z.boolean(),
  omitted: z
    .array(z.string())
    .optional()
    .describe('Properties left out to bound the answer; read them one by one.'),
});

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: pathInput,
  interface: interfaceInput,
  auto_start: autoStartInput,
});

export function registerGetAllProperties(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'get_all_properties',
    {
      title: 'Read all properties of an interface',
      description:
        'Read every property of one interface of an object (org.freedesktop.DBus.Properties.GetAll), each as ' +
        '{signature, value}. Large answers are cut at 512 KiB: `omitted` names what to read with get_property.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, interface: iface, auto_start }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const target = { bus, destination: service, path, interface: iface };
        const all = await readTypedProperties(
          deps.gate,
          getAllRequest(target, { autoStart: auto_start }),
          octx,
        );
        const properties: Record<string, { signature: string; value: unknown }> = {};
        const omitted: string[] = [];
        let size = 0;
        for (const name of Object.keys(all).sort()) {
          const entry = all[name] as { signature: string; value: unknown };
          size += JSON.stringify(entry).length;
          if (size > MAX_RESULT_CHARS) omitted.push(name);
          else properties[name] = entry;
        }
        return dataResult({
          service,
          path,
          interface: iface,
          properties,
          truncated: omitted.length > 0,
          ...(omitted.length ? { omitted } : {}),
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
