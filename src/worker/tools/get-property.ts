import type { McpServer } from '@modelcontextprotocol/server';
import { Variant } from 'dbus-next';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { fromDBus } from '../dbus/values/index.js';
import { parseSingleType } from '../dbus/signature.js';
import type { BusConnection } from '../dbus/connection.js';
import type { CallReply } from '../dbus/types.js';
import type { ToolDeps } from './deps.js';
import type { OperationContext } from './operations.js';
import { guarded, operationContext, queuedCall } from './operations.js';
import { dataResult, errorResult } from './result.js';
import { autoStartInput, busInput, interfaceInput, pathInput, serviceInput } from './schemas.js';

export const PROPERTIES = 'org.freedesktop.DBus.Properties';

const output = z.object({
  service: z.string(),
  path: z.string(),
  interface: z.string(),
  property: z.string(),
  signature: z.string().describe('D-Bus type of the value.'),
  value: z.unknown().describe('The value as JSON (typed per docs/TOOLS.md).'),
});

/** A call on org.freedesktop.DBus.Properties (Get, GetAll, Set) of one object, through the queue. */
export function propertiesCall(
  deps: ToolDeps,
  conn: BusConnection,
  target: { service: string; path: string; autoStart?: boolean },
  call: { member: 'Get' | 'GetAll' | 'Set'; signature: string; body: unknown[] },
  octx: OperationContext,
): Promise<CallReply> {
  const { service, path, autoStart = true } = target;
  const req = { destination: service, path, interface: PROPERTIES, ...call, noAutoStart: !autoStart };
  return queuedCall(deps, conn, req, octx);
}

/** A variant from the wire → `{ signature, value }` in our JSON form. */
export function variantToJson(v: unknown, what: string): { signature: string; value: unknown } {
  if (!(v instanceof Variant))
    throw new AppError('VALUE_CONVERSION', `${what}: the service did not answer a variant`);
  return { signature: v.signature, value: fromDBus(parseSingleType(v.signature), v.value) };
}

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: pathInput,
  interface: interfaceInput,
  property: z.string().min(1).describe('Property name, e.g. Version.'),
  auto_start: autoStartInput,
});

export function registerGetProperty(server: McpServer, deps: ToolDeps) {
  server.registerTool(
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
        };
        const got = await guarded(deps, req, octx, async (_auth, conn) => {
          const reply = await propertiesCall(
            deps,
            conn,
            { service, path, autoStart: auto_start },
            { member: 'Get', signature: 'ss', body: [iface, property] },
            octx,
          );
          return variantToJson(reply.body[0], `${iface}.${property}`);
        });
        return dataResult({ service, path, interface: iface, property, ...got });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
