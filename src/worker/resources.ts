import type { McpServer, ReadResourceResult } from '@modelcontextprotocol/server';
import { ResourceTemplate } from '@modelcontextprotocol/server';
import { AppError } from '../shared/errors.js';
import type { BusKind } from './dbus/types.js';
import { isValidObjectPath } from './dbus/names.js';
import type { ToolDeps } from './tools/deps.js';
import { introspectObject } from './tools/introspect.js';
import { listServices } from './tools/list-services.js';

/** Completions are cut at the protocol's 100 values. */
const MAX_COMPLETIONS = 100;
const BUSES: BusKind[] = ['session', 'system'];

function parseBus(value: unknown): BusKind {
  if (value === 'session' || value === 'system') return value;
  throw new AppError(
    'USAGE',
    `unknown bus ${JSON.stringify(value)} in resource URI: expected session or system`,
  );
}

function one(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

const json = (uri: string, data: unknown): ReadResourceResult => ({
  contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(data, null, 2) }],
});

/** Completion of `bus`, `service` (names on that bus) and `path` (children known from introspection). */
export function completers(deps: ToolDeps) {
  const bus = (value: string) => BUSES.filter((b) => b.startsWith(value));
  const service = async (value: string, context?: { arguments?: Record<string, string> }) => {
    const kind = context?.arguments?.bus === 'system' ? 'system' : 'session';
    try {
      const services = await listServices(
        deps,
        kind,
        { includeUnique: value.startsWith(':'), owners: false },
        {},
      );
      return services
        .map((s) => s.name)
        .filter((n) => n.startsWith(value))
        .slice(0, MAX_COMPLETIONS);
    } catch {
      return [];
    }
  };
  /** Paths are completed one level at a time: the known children of the deepest complete prefix. */
  const path = async (value: string, context?: { arguments?: Record<string, string> }) => {
    const kind = context?.arguments?.bus === 'system' ? 'system' : 'session';
    const name = context?.arguments?.service;
    if (!name) return [];
    const absolute = value.startsWith('/') ? value : `/${value}`;
    const cut = absolute.lastIndexOf('/');
    const parent = cut <= 0 ? '/' : absolute.slice(0, cut);
    const partial = absolute.slice(cut + 1);
    if (!isValidObjectPath(parent)) return [];
    try {
      const node = await introspectObject(deps, kind, name, parent, {});
      const prefix = parent === '/' ? '/' : `${parent}/`;
      const withSlash = value.startsWith('/');
      return node.children
        .filter((c) => c.startsWith(partial))
        .map((c) => (withSlash ? `${prefix}${c}` : `${prefix}${c}`.slice(1)))
        .slice(0, MAX_COMPLETIONS);
    } catch {
      return [];
    }
  };
  return { bus, service, path };
}

/**
 * The bus as resources: `dbus://{bus}/services` (the service list) and
 * `dbus://{bus}/{service}/{+path}` (structured introspection of one object; the root object is
 * `dbus://{bus}/{service}/`). Reads go through the same policy as the tools.
 */
export function registerResources(server: McpServer, deps: ToolDeps): void {
  const complete = completers(deps);

  server.registerResource(
    'services',
    new ResourceTemplate('dbus://{bus}/services', {
      list: async () => ({
        resources: BUSES.map((bus) => ({
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
      const services = await listServices(deps, bus, { includeUnique: false }, { signal: ctx.mcpReq.signal });
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
    const node = await introspectObject(deps, bus, service, path, { signal });
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
