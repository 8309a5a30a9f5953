import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { DBusCallError } from '../../shared/errors.js';
import type { JsonValue } from '../dbus/values/index.js';
import { SYSTEMD } from '../dbus/well-known.js';
import { num } from '../desktop/common.js';
import type { Manager } from '../desktop/systemd.js';
import { managerBus, managerRequest, systemdMissing, unitName, usecToIso } from '../desktop/systemd.js';
import type { WorkerDeps } from '../deps.js';
import type { OperationContext } from '../mcp/context.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { managerInput } from '../mcp/schemas.js';
import { readProperties } from '../queries/properties.js';

const output = z.object({
  manager: z.enum(['user', 'system']),
  unit: z.string(),
  loaded: z.boolean().describe('false: systemd knows no such unit.'),
  description: z.string().optional(),
  load_state: z.string().optional(),
  active_state: z.string().optional(),
  sub_state: z.string().optional(),
  unit_file_state: z.string().optional(),
  fragment_path: z.string().optional(),
  active_since: z.string().nullable().optional(),
  state_changed: z.string().nullable().optional(),
  service: z
    .object({
      main_pid: z.number().optional(),
      result: z.string().optional(),
      restarts: z.number().optional(),
      memory_bytes: z.number().optional(),
    })
    .optional(),
});

const NO_UNIT = 'org.freedesktop.systemd1.NoSuchUnit';

/**
 * The unit's object path: GetUnit, else LoadUnit (which loads a unit file that is not loaded yet).
 * A manager that is not there is SERVICE_UNAVAILABLE once the bus is reached; a bus that cannot
 * be reached at all fails the judgement itself (DBUS_CONNECT_FAILED), as for list_units.
 */
async function unitPath(deps: WorkerDeps, manager: Manager, unit: string, octx: OperationContext) {
  const ask = (member: string) =>
    deps.gate.run(managerRequest(manager, member, 'read', [unit]), octx, async (op) => {
      try {
        return String((await op.call()).body[0]);
      } catch (e) {
        throw systemdMissing(e, manager);
      }
    });
  try {
    return await ask('GetUnit');
  } catch (e) {
    if (!(e instanceof DBusCallError) || e.dbusName !== NO_UNIT) throw e;
    try {
      return await ask('LoadUnit');
    } catch {
      return undefined;
    }
  }
}

const input = z.object({
  unit: z.string().min(1).max(255).describe('Unit name, e.g. pipewire.service or nginx.'),
  manager: managerInput,
});

export function registerUnitStatus(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'unit_status',
    {
      title: 'Status of a systemd unit',
      description:
        'The state of one systemd unit (like `systemctl status` without the log): description, load/active/sub ' +
        'state, unit file state, since when, and for services the main pid, result, restarts and memory. ' +
        'manager: user (default) or system. A name without suffix means .service. Read-only.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ unit: given, manager }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const unit = unitName(given);
        const bus = managerBus(manager);
        const path = await unitPath(deps, manager, unit, octx);
        const read = async () => {
          if (!path) return { manager, unit, loaded: false };
          const object = { bus, destination: SYSTEMD.destination, path };
          const u = await readProperties(
            deps.gate,
            { ...object, interface: 'org.freedesktop.systemd1.Unit' },
            octx,
          );
          const s: Record<string, JsonValue> = unit.endsWith('.service')
            ? await readProperties(
                deps.gate,
                { ...object, interface: 'org.freedesktop.systemd1.Service' },
                octx,
              ).catch(() => ({}))
            : {};
          const pick = (v: JsonValue | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);
          const service = Object.fromEntries(
            Object.entries({
              main_pid: num(s.MainPID),
              result: pick(s.Result),
              restarts: num(s.NRestarts),
              memory_bytes: num(s.MemoryCurrent),
            }).filter(([, v]) => v !== undefined && !(typeof v === 'number' && v >= Number.MAX_SAFE_INTEGER)),
          );
          return Object.fromEntries(
            Object.entries({
              manager,
              unit,
              loaded: u.LoadState !== 'not-found',
              description: pick(u.Description),
              load_state: pick(u.LoadState),
              active_state: pick(u.ActiveState),
              sub_state: pick(u.SubState),
              unit_file_state: pick(u.UnitFileState),
              fragment_path: pick(u.FragmentPath),
              active_since:
                u.ActiveEnterTimestamp !== undefined ? usecToIso(u.ActiveEnterTimestamp) : undefined,
              state_changed:
                u.StateChangeTimestamp !== undefined ? usecToIso(u.StateChangeTimestamp) : undefined,
              service: Object.keys(service).length > 0 ? service : undefined,
            }).filter(([, v]) => v !== undefined),
          );
        };
        const data = await read().catch((e: unknown) => {
          throw systemdMissing(e, manager);
        });
        return dataResult(data);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
