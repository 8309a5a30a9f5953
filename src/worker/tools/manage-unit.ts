import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { SYSTEMD } from '../dbus/well-known.js';
import { managerBus, managerRequest, systemdMissing, unitName } from '../desktop/systemd.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { managerInput } from '../mcp/schemas.js';

const METHODS = {
  start: 'StartUnit',
  stop: 'StopUnit',
  restart: 'RestartUnit',
  reload: 'ReloadUnit',
} as const;
/** How long to wait for the job to finish before answering "queued". */
const JOB_WAIT_MS = 15_000;

const output = z.object({
  manager: z.enum(['user', 'system']),
  unit: z.string(),
  action: z.enum(['start', 'stop', 'restart', 'reload']),
  job: z.string().describe('The systemd job object path.'),
  result: z
    .string()
    .describe(
      'done, failed, canceled, timeout, dependency, skipped — or queued when it had not finished in 15 s.',
    ),
});

const input = z.object({
  unit: z.string().min(1).max(255).describe('Unit name, e.g. syncthing.service (no suffix = .service).'),
  action: z.enum(['start', 'stop', 'restart', 'reload']),
  manager: managerInput,
});

export function registerManageUnit(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'manage_unit',
    {
      title: 'Start, stop, restart or reload a systemd unit',
      description:
        'Start, stop, restart or reload a systemd unit and wait (up to 15 s) for the job result. ' +
        'manager: user (default; needs safety level low) or system (only where an operator policy rule allows ' +
        'it). Only services, timers, sockets and paths: targets, slices, scopes, mounts and protected units ' +
        '(dbus, logind, journald, polkit, ssh, display managers, NetworkManager, power and rescue units, ' +
        'dbus-mcp itself …) are refused at every level, as is a unit whose start or stop would power off, ' +
        'reboot or reach a protected unit. Check first with unit_status; explain_policy tells whether it ' +
        'would be allowed.',
      inputSchema: input,
      outputSchema: output,
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ unit: given, action, manager }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const unit = unitName(given);
        const bus = managerBus(manager);
        const req = managerRequest(manager, METHODS[action], 'system_change', [unit, 'replace']);
        const done = await deps.gate.run(req, octx, async (op) => {
          // systemd emits JobRemoved only to subscribed clients; listen before the call can finish the job.
          const release = await deps.signals.retainSystemd(bus);
          const armed = await op
            .watch({ path: SYSTEMD.path, interface: SYSTEMD.interface, member: 'JobRemoved' })
            .catch(async (e: unknown) => {
              await release();
              throw e;
            });
          try {
            const job = String((await op.call()).body[0]);
            let result = 'queued';
            const deadline = Date.now() + JOB_WAIT_MS;
            while (Date.now() < deadline) {
              const msg = await armed.next(deadline - Date.now(), octx.signal).catch((e: unknown) => {
                if (e instanceof AppError && e.code === 'DBUS_TIMEOUT') return undefined;
                throw e;
              });
              if (!msg) break;
              if (msg.body[1] === job) {
                result = String(msg.body[3]);
                break;
              }
            }
            return { job, result };
          } catch (e) {
            throw systemdMissing(e, manager);
          } finally {
            await armed.release();
            await release();
          }
        });
        const data = { manager, unit, action, ...done };
        const failed = done.result !== 'done' && done.result !== 'queued';
        return dataResult(data, `${action} ${unit}: ${done.result}${failed ? ' (see unit_status)' : ''}`);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
