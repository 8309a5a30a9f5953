import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { variantToJson } from '../dbus/values/index.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { autoStartInput, busInput, interfaceInput, pathInput, serviceInput } from '../mcp/schemas.js';

const output = z.object({
  service: z.string(),
  path: z.string(),
  interface: z.string(),
  property: z.string(),
  signature: z.string().describe('D-Bus type of the value.'),
  value: z.unknown().describe('The value as JSON (typed per docs/TOOLS.md).'),
});

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: pathInput,
  interface: interfaceInput,
  property: z.string().min(1).describe('Property name, e.g. Version.'),
  auto_start: autoStartInput,
});

export function registerGetProperty(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'get_property',
    {
      title: 'Read a D-Bus property',
      description:
        'Read one property of an object (org.freedesktop.DBus.Properties.Get). Returns the value as typed JSON ' +
        'and its D-Bus signature. Use introspect to see which properties an interface has.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, interface: iface, property, auto_start }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const req = {
          bus,
          destination: service,
          path,
          interface: iface,
          member: property,
          access: 'get' as const,
          autoStart: auto_start,
        };
        // Sent as Properties.Get(interface, property).
        const reply = await deps.gate.run(req, octx, (op) => op.call());
        const got = variantToJson(reply.body[0], `${iface}.${property}`);
        return dataResult({ service, path, interface: iface, property, ...got });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
