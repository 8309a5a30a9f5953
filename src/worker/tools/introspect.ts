import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { BusKind } from '../dbus/connection.js';
import type { IntrospectedNode } from '../dbus/introspection.js';
import type { OperationRequest } from '../policy/index.js';
import type { ToolDeps } from './deps.js';
import type { OperationContext } from './operations.js';
import { guarded, operationContext } from './operations.js';
import { dataResult, errorResult } from './result.js';
import { busInput, serviceInput } from './schemas.js';

const annotations = z.record(z.string(), z.string());
const arg = z.object({
  name: z.string().optional(),
  type: z.string(),
  direction: z.enum(['in', 'out']).optional(),
});

export const introspectionShape = {
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
});

/** What the policy judges for any look at an object's structure: an Introspect call. */
export function introspectRequest(bus: BusKind, service: string, path: string): OperationRequest {
  return {
    bus,
    destination: service,
    path,
    interface: 'org.freedesktop.DBus.Introspectable',
    member: 'Introspect',
    access: 'call',
  };
}

/** Structured introspection of one object, through the policy (tool and dbus:// resource share it). */
export async function introspectObject(
  deps: ToolDeps,
  bus: BusKind,
  service: string,
  path: string,
  octx: OperationContext,
): Promise<IntrospectedNode> {
  return guarded(deps, introspectRequest(bus, service, path), octx, (_auth, conn) =>
    conn.introspection.get(service, path, { ...octx, noAutoStart: true }),
  );
}

export function registerIntrospect(server: McpServer, deps: ToolDeps) {
  server.registerTool(
    'introspect',
    {
      title: 'Introspect a D-Bus object',
      description:
        'Describe one object of a service: its interfaces with methods (in/out argument names and D-Bus types), ' +
        'properties (type and read/write access), signals, and child nodes to explore next. ' +
        'Use the types it reports to build call_method arguments. xml=true adds the raw introspection XML.',
      inputSchema: z.object({
        bus: busInput,
        service: serviceInput,
        path: z.string().min(1).default('/').describe('Object path (default "/").'),
        xml: z.boolean().default(false).describe('Include the raw introspection XML.'),
      }),
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, xml }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const node = await introspectObject(deps, bus, service, path, octx);
        return dataResult({
          bus,
          service,
          path,
          interfaces: node.interfaces,
          children: node.children,
          ...(xml ? { xml: node.xml } : {}),
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
