import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { DBusCallError } from '../../shared/errors.js';
import type { BusConnection } from '../dbus/connection.js';
import type { JsonValue } from '../dbus/values/index.js';
import type { ToolDeps } from './deps.js';
import { getAll, num, taskRequest } from './desktop-common.js';
import type { OperationContext } from './operations.js';
import { guarded, operationContext, queuedCall } from './operations.js';
import { dataResult, errorResult } from './result.js';
import { SYSTEMD, managerBus, managerInput, systemdMissing, unitName, usecToIso } from './systemd-common.js';

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

/** The unit's object path: GetUnit, else LoadUnit (which loads a unit file that is not loaded yet). */
async function unitPath(deps: ToolDeps, conn: BusConnection, unit: string, octx: OperationContext) {
  const call = (member: string) =>
    queuedCall(deps, conn, { ...SYSTEMD, member, signature: 's', body: [unit], noAutoStart: true }, octx);
  try {
    return String((await call('GetUnit')).body[0]);
  } catch (e) {
    if (!(e instanceof DBusCallError) || e.dbusName !== NO_UNIT) throw e;
    try {
      return String((await call('LoadUnit')).body[0]);
    } catch {
      return undefined;
    }
  }
}

const input = z.object({
  unit: z.string().min(1).max(255).describe('Unit name, e.g. pipewire.service or nginx.'),
  manager: managerInput,
});

export function registerUnitStatus(server: McpServer, deps: ToolDeps) {
  server.registerTool(
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
        const req = taskRequest(bus, { ...SYSTEMD, member: 'GetUnit' }, 'read', [unit]);
        const data = await guarded(deps, req, octx, async (_a, conn) => {
          try {
            const path = await unitPath(deps, conn, unit, octx);
            if (!path) return { manager, unit, loaded: false };
            const target = { destination: SYSTEMD.destination, path };
            const u = await getAll(
              deps,
              conn,
              { ...target, interface: 'org.freedesktop.systemd1.Unit' },
              octx,
            );
            const s: Record<string, JsonValue> = unit.endsWith('.service')
              ? await getAll(
                  deps,
                  conn,
                  { ...target, interface: 'org.freedesktop.systemd1.Service' },
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
              }).filter(
                ([, v]) => v !== undefined && !(typeof v === 'number' && v >= Number.MAX_SAFE_INTEGER),
              ),
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
          } catch (e) {
            throw systemdMissing(e, manager);
          }
        });
        return dataResult(data);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
