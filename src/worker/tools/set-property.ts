import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { autoStartInput, busInput, interfaceInput, pathInput, serviceInput } from '../mcp/schemas.js';

const output = z.object({
  service: z.string(),
  path: z.string(),
  interface: z.string(),
  property: z.string(),
  signature: z.string().describe('The D-Bus type the value was sent as.'),
});

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: pathInput,
  interface: interfaceInput,
  property: z.string().min(1),
  value: z.unknown().describe('New value as JSON (see docs/TOOLS.md for how each D-Bus type is written).'),
  signature: z.string().optional().describe('D-Bus type of the value; default: from introspection.'),
  auto_start: autoStartInput,
});

export function registerSetProperty(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'set_property',
    {
      title: 'Write a D-Bus property',
      description:
        'Write one property (org.freedesktop.DBus.Properties.Set). The value is JSON converted to the ' +
        "property's D-Bus type from introspection, or to `signature` when given (one complete type, e.g. " +
        '"u", "as", "a{sv}"). Subject to the safety level: property writes need medium (session bus) or an ' +
        'operator rule.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, interface: iface, property, value, signature, auto_start }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const req = {
          bus,
          destination: service,
          path,
          interface: iface,
          member: property,
          access: 'set' as const,
          args: [value],
          ...(signature !== undefined ? { signature } : {}),
          autoStart: auto_start,
        };
        // Sent as Properties.Set(interface, property, variant of the property's type).
        const sent = await deps.gate.run(req, octx, async (op) => {
          await op.call();
          return op.valueSignature ?? '';
        });
        return dataResult({ service, path, interface: iface, property, signature: sent });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
