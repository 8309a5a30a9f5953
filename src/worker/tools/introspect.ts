import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { busInput, serviceInput } from '../mcp/schemas.js';
import { introspectObject } from '../queries/introspect.js';

const annotations = z.record(z.string(), z.string());
const arg = z.object({
  name: z.string().optional(),
  type: z.string(),
  direction: z.enum(['in', 'out']).optional(),
});

const introspectionShape = {
  interfaces: z.array(
    z.object({
      name: z.string(),
      methods: z.array(z.object({ name: z.string(), args: z.array(arg), annotations })),
      properties: z.array(
        z.object({
          name: z.string(),
          type: z.string(),
          access: z.enum(['read', 'write', 'readwrite']),
          annotations,
        }),
      ),
      signals: z.array(z.object({ name: z.string(), args: z.array(arg), annotations })),
      annotations,
    }),
  ),
  children: z.array(z.string()).describe('Names of child nodes; their paths are path + "/" + name.'),
};

const output = z.object({
  bus: z.enum(['session', 'system']),
  service: z.string(),
  path: z.string(),
  ...introspectionShape,
  xml: z.string().optional(),
  truncated: z.boolean(),
  truncated_reason: z.string().optional(),
});

/** Bounds of one answer: a service with a huge node must not flood the model's context. */
const MAX_CHILDREN = 1000;
const MAX_XML_CHARS = 256 * 1024;

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: z.string().min(1).default('/').describe('Object path (default "/").'),
  xml: z.boolean().default(false).describe('Include the raw introspection XML.'),
});

export function registerIntrospect(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'introspect',
    {
      title: 'Introspect a D-Bus object',
      description:
        'Describe one object of a service: its interfaces with methods (in/out argument names and D-Bus types), ' +
        'properties (type and read/write access), signals, and child nodes to explore next. ' +
        'Use the types it reports to build call_method arguments. xml=true adds the raw introspection XML.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, xml }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const node = await introspectObject(deps.gate, bus, service, path, octx);
        const cuts: string[] = [];
        if (node.children.length > MAX_CHILDREN) {
          cuts.push(
            `${node.children.length} children, the first ${MAX_CHILDREN} listed (list_objects walks them all)`,
          );
        }
        const xmlTooLong = xml && node.xml.length > MAX_XML_CHARS;
        if (xmlTooLong)
          cuts.push(`the XML (${node.xml.length} characters) is left out above ${MAX_XML_CHARS}`);
        return dataResult({
          bus,
          service,
          path,
          interfaces: node.interfaces,
          children: node.children.slice(0, MAX_CHILDREN),
          ...(xml && !xmlTooLong ? { xml: node.xml } : {}),
          truncated: cuts.length > 0,
          ...(cuts.length ? { truncated_reason: cuts.join('; ') } : {}),
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
