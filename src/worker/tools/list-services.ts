import { readFile } from 'node:fs/promises';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { BusConnection } from '../dbus/connection.js';
import type { BusKind } from '../dbus/types.js';
import type { ToolDeps } from './deps.js';
import type { OperationContext } from './operations.js';
import { guarded, operationContext, queuedCall } from './operations.js';
import { dataResult, errorResult } from './result.js';
import { busInput } from './schemas.js';

const DBUS = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
};

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

async function busMethod(
  deps: ToolDeps,
  conn: BusConnection,
  octx: OperationContext,
  member: string,
  body: unknown[] = [],
) {
  const signature = body.length ? 's' : '';
  return (await queuedCall(deps, conn, { ...DBUS, member, signature, body }, octx)).body;
}

async function processName(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export type ServiceEntry = z.infer<typeof serviceEntry>;

/**
 * The services on a bus (shared by the list_services tool, the dbus://{bus}/services resource and
 * name completion). `owners: false` skips the per-name owner, pid and process look-ups.
 */
export async function listServices(
  deps: ToolDeps,
  bus: BusKind,
  options: { includeUnique: boolean; owners?: boolean },
  octx: OperationContext,
): Promise<ServiceEntry[]> {
  const { includeUnique, owners = true } = options;
  const req = { bus, ...DBUS, member: 'ListNames', access: 'call' as const };
  return guarded(deps, req, octx, async (_auth, conn) => {
    const [names] = (await busMethod(deps, conn, octx, 'ListNames')) as [string[]];
    const [activatable] = (await busMethod(deps, conn, octx, 'ListActivatableNames')) as [string[]];
    const activatableSet = new Set(activatable);
    const all = new Set([...names.filter((n) => includeUnique || !n.startsWith(':')), ...activatable]);
    const running = new Set(names);
    const entries = await Promise.all(
      [...all].sort().map(async (name) => {
        const entry: z.infer<typeof serviceEntry> = {
          name,
          running: running.has(name),
          activatable: activatableSet.has(name),
        };
        if (!entry.running || !owners) return entry;
        try {
          entry.owner = name.startsWith(':')
            ? name
            : ((await busMethod(deps, conn, octx, 'GetNameOwner', [name]))[0] as string);
          const pid = (await busMethod(deps, conn, octx, 'GetConnectionUnixProcessID', [name]))[0];
          entry.pid = Number(pid);
          const proc = await processName(entry.pid);
          if (proc) entry.process = proc;
        } catch {
          // The owner left between ListNames and the look-up, or the bus will not tell: keep the name.
        }
        return entry;
      }),
    );
    return entries;
  });
}

const input = z.object({
  bus: busInput,
  include_unique: z.boolean().default(false).describe('Also list unique connection names (:1.x).'),
});

export function registerListServices(server: McpServer, deps: ToolDeps) {
  server.registerTool(
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
        const services = await listServices(deps, bus, { includeUnique: include_unique }, octx);
        return dataResult({ bus, count: services.length, services });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
