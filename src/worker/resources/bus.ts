import type { McpServer, ReadResourceResult } from '@modelcontextprotocol/server';
import { ResourceTemplate } from '@modelcontextprotocol/server';
import { AppError } from '../../shared/errors.js';
import type { BusKind } from '../dbus/types.js';
import { BUS_KINDS } from '../dbus/types.js';
import type { WorkerDeps } from '../deps.js';
import { introspectObject } from '../queries/introspect.js';
import { listServices } from '../queries/list-services.js';
import { completers } from './completers.js';

function parseBus(value: unknown): BusKind {
  if (value === 'session' || value === 'system') return value;
  throw new AppError(
    'INVALID_ARGUMENT',
    `unknown bus ${JSON.stringify(value)} in resource URI: expected session or system`,
  );
}

function one(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

const json = (uri: string, data: unknown): ReadResourceResult => ({
  contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(data, null, 2) }],
});

/**
 * The bus as resources: `dbus://{bus}/services` (the service list) and
 * `dbus://{bus}/{service}/{+path}` (structured introspection of one object; the root object is
 * `dbus://{bus}/{service}/`). Reads go through the same policy as the tools.
 */
export function registerResources(server: McpServer, deps: WorkerDeps): void {
  const complete = completers(deps);

  server.registerResource(
    'services',
    new ResourceTemplate('dbus://{bus}/services', {
      list: async () => ({
        resources: BUS_KINDS.map((bus) => ({
          uri: `dbus://${bus}/services`,
          name: `${bus} bus services`,
          mimeType: 'application/json',
        })),
      }),
      complete: { bus: complete.bus },
    }),
    {
      title: 'Services on a bus',
      description:
        'Well-known names on the session or system bus with owner, pid and activatable flag (JSON).',
      mimeType: 'application/json',
    },
    async (uri, variables, ctx) => {
      const bus = parseBus(one(variables.bus));
      const services = await listServices(
        deps.gate,
        bus,
        { includeUnique: false },
        { signal: ctx.mcpReq.signal },
      );
      return json(uri.href, { bus, count: services.length, services });
    },
  );

  const readObject = async (
    uri: URL,
    variables: Record<string, string | string[]>,
    signal: AbortSignal,
  ): Promise<ReadResourceResult> => {
    const bus = parseBus(one(variables.bus));
    const service = decodeURIComponent(one(variables.service));
    const path = `/${decodeURIComponent(one(variables.path))}`;
    const node = await introspectObject(deps.gate, bus, service, path, { signal });
    return json(uri.href, { bus, service, path, interfaces: node.interfaces, children: node.children });
  };

  server.registerResource(
    'object',
    new ResourceTemplate('dbus://{bus}/{service}/{+path}', {
      list: undefined,
      complete: complete,
    }),
    {
      title: 'A D-Bus object',
      description:
        'Structured introspection of one object (interfaces, methods, properties, signals, children) as JSON, ' +
        'e.g. dbus://session/org.freedesktop.Notifications/org/freedesktop/Notifications.',
      mimeType: 'application/json',
    },
    (uri, variables, ctx) => readObject(uri, variables, ctx.mcpReq.signal),
  );

  server.registerResource(
    'object-root',
    new ResourceTemplate('dbus://{bus}/{service}/', {
      list: undefined,
      complete: { bus: complete.bus, service: complete.service },
    }),
    {
      title: 'The root object of a service',
      description:
        'Structured introspection of a service\'s "/" object, e.g. dbus://session/org.freedesktop.DBus/.',
      mimeType: 'application/json',
    },
    (uri, variables, ctx) => readObject(uri, { ...variables, path: '' }, ctx.mcpReq.signal),
  );
}
