import type { McpServer } from '@modelcontextprotocol/server';
import { Variant } from 'dbus-next';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { toDBus } from '../dbus/values/index.js';
import { formatType, parseSingleType } from '../dbus/signature.js';
import type { ToolDeps } from './deps.js';
import { propertiesCall } from './get-property.js';
import { guarded, operationContext } from './operations.js';
import { dataResult, errorResult } from './result.js';
import { busInput, interfaceInput, pathInput, serviceInput } from './schemas.js';

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
});

export function registerSetProperty(server: McpServer, deps: ToolDeps) {
  server.registerTool(
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
    async ({ bus, service, path, interface: iface, property, value, signature }, ctx) => {
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
        };
        const sent = await guarded(deps, req, octx, async (_auth, conn) => {
          let type;
          if (signature !== undefined) type = parseSingleType(signature);
          else {
            const info = await conn.introspection.property(service, path, iface, property, octx);
            if (!info) {
              throw new AppError(
                'SIGNATURE_UNKNOWN',
                `introspection of ${service} ${path} does not list property ${iface}.${property}; pass \`signature\``,
              );
            }
            if (info.access === 'read') {
              throw new AppError(
                'USAGE',
                `property ${iface}.${property} is read-only (introspection says access="read")`,
              );
            }
            type = parseSingleType(info.type);
          }
          const sig = formatType(type);
          const variant = new Variant(sig, toDBus(type, value, 'value'));
          await propertiesCall(
            deps,
            conn,
            { service, path },
            { member: 'Set', signature: 'ssv', body: [iface, property, variant] },
            octx,
          );
          return sig;
        });
        return dataResult({ service, path, interface: iface, property, signature: sent });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
