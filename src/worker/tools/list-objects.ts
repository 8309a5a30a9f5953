import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { BusKind } from '../dbus/types.js';
import { OBJECT_MANAGER, STANDARD_INTERFACES } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { WorkerDeps } from '../deps.js';
import type { OperationContext } from '../mcp/context.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, describeError, errorResult } from '../mcp/result.js';
import { busInput, serviceInput } from '../mcp/schemas.js';
import { introspectObject } from '../queries/introspect.js';

const MAX_OBJECTS_LIMIT = 10_000;

const output = z.object({
  bus: z.enum(['session', 'system']),
  service: z.string(),
  path: z.string(),
  method: z.enum(['ObjectManager', 'walk']).describe('How the objects were found.'),
  count: z.number(),
  objects: z.array(z.object({ path: z.string(), interfaces: z.array(z.string()) })),
  truncated: z.boolean(),
  truncated_reason: z.string().optional(),
  failed: z
    .array(z.string())
    .optional()
    .describe(
      'Objects that could not be introspected (first 20), with the reason; their subtrees are missing.',
    ),
});

type ObjectEntry = { path: string; interfaces: string[] };
interface Limits {
  maxObjects: number;
  maxDepth: number;
}

const childPath = (parent: string, name: string) => (parent === '/' ? `/${name}` : `${parent}/${name}`);
const depthBelow = (root: string, path: string) =>
  path === root ? 0 : path.slice(root === '/' ? 0 : root.length).split('/').length - 1;

interface Where {
  bus: BusKind;
  service: string;
}

async function viaObjectManager(
  gate: Gate,
  at: Where,
  path: string,
  octx: OperationContext,
): Promise<ObjectEntry[]> {
  const req = {
    bus: at.bus,
    destination: at.service,
    path,
    interface: OBJECT_MANAGER,
    member: 'GetManagedObjects',
    access: 'call' as const,
  };
  const reply = await gate.run(req, octx, (op) => op.call());
  const managed = (reply.body[0] ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(managed)
    .map(([p, ifaces]) => ({ path: p, interfaces: Object.keys(ifaces).sort() }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** Breadth-first walk over introspection children, bounded by object count and depth. */
async function walk(gate: Gate, at: Where, root: string, limits: Limits, octx: OperationContext) {
  const objects: ObjectEntry[] = [];
  const failed: string[] = [];
  let visited = 0;
  let level = [root];
  let truncatedReason: string | undefined;
  for (let depth = 0; level.length > 0; depth++) {
    octx.signal?.throwIfAborted();
    // Each object is judged on its own (a rule may deny a subtree); the connection's scheduler bounds
    // the calls, so a wide level does not fire thousands at once.
    const nodes = await Promise.all(
      level.map((p) =>
        introspectObject(gate, at.bus, at.service, p, { signal: octx.signal }).catch((e: unknown) => {
          if (octx.signal?.aborted) throw e;
          failed.push(`${p}: ${describeError(e).message}`);
          return undefined;
        }),
      ),
    );
    visited += nodes.length;
    octx.progress?.(visited, undefined, `${visited} objects introspected, ${depth + 1} level(s) deep`);
    const next: string[] = [];
    for (const [i, node] of nodes.entries()) {
      if (!node) continue;
      const path = level[i] as string;
      const names = node.interfaces.map((x) => x.name);
      // Intermediate nodes that only carry the standard interfaces every node has are not listed.
      if (names.some((n) => !STANDARD_INTERFACES.has(n))) objects.push({ path, interfaces: names.sort() });
      if (objects.length >= limits.maxObjects) {
        return { objects, failed, truncatedReason: `stopped at max_objects=${limits.maxObjects}` };
      }
      if (depth >= limits.maxDepth) {
        if (node.children.length > 0)
          truncatedReason = `children below max_depth=${limits.maxDepth} not listed`;
        continue;
      }
      next.push(...node.children.map((c) => childPath(path, c)));
    }
    level = next;
  }
  return { objects, failed, truncatedReason };
}

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: z.string().min(1).default('/').describe('Where to start (default "/").'),
  max_objects: z.number().int().min(1).max(MAX_OBJECTS_LIMIT).default(1000),
  max_depth: z.number().int().min(0).max(64).default(32).describe('Levels below `path` to walk.'),
});

export function registerListObjects(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'list_objects',
    {
      title: 'List the objects of a service',
      description:
        "List a service's objects and their interfaces: through org.freedesktop.DBus.ObjectManager " +
        'when the service offers it at `path` (fast, one call), else by walking introspection children. ' +
        'Bounded by max_objects and max_depth; `truncated` says when the list was cut.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, max_objects, max_depth }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const at = { bus, service };
        const top = await introspectObject(deps.gate, bus, service, path, octx);
        let result;
        // A service whose managed objects carry secrets is refused the ObjectManager read: walk it.
        const managed = top.interfaces.some((i) => i.name === OBJECT_MANAGER)
          ? await viaObjectManager(deps.gate, at, path, octx).catch((e: unknown) => {
              if (e instanceof AppError && e.code === 'POLICY_DENIED') return undefined;
              throw e;
            })
          : undefined;
        if (managed) {
          const all = managed.filter((o) => depthBelow(path, o.path) <= max_depth);
          const cut = all.length > max_objects;
          result = {
            method: 'ObjectManager' as const,
            objects: all.slice(0, max_objects),
            truncatedReason: cut ? `${all.length} objects, stopped at max_objects=${max_objects}` : undefined,
          };
        } else {
          const limits = { maxObjects: max_objects, maxDepth: max_depth };
          result = { method: 'walk' as const, ...(await walk(deps.gate, at, path, limits, octx)) };
        }
        return dataResult({
          bus,
          service,
          path,
          method: result.method,
          count: result.objects.length,
          objects: result.objects,
          truncated: result.truncatedReason !== undefined,
          ...(result.truncatedReason ? { truncated_reason: result.truncatedReason } : {}),
          ...('failed' in result && result.failed.length ? { failed: result.failed.slice(0, 20) } : {}),
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
