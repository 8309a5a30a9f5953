import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { isServiceMissing } from '../desktop/common.js';
import type { StatusSection } from '../desktop/status-sections.js';
import {
  STATUS_SERVICES,
  localHost,
  readHost,
  readNetwork,
  readPower,
  readSessions,
  readTime,
} from '../desktop/status-sections.js';
import type { WorkerDeps } from '../deps.js';
import type { OperationContext } from '../mcp/context.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, describeError, errorResult } from '../mcp/result.js';

const SECTIONS = {
  power: readPower,
  network: readNetwork,
  host: readHost,
  time: readTime,
  sessions: readSessions,
} as const satisfies Record<StatusSection, unknown>;
type SectionName = StatusSection;

const section = z
  .object({
    available: z
      .boolean()
      .describe('false: the service is absent, unreachable or refused; `reason` says which.'),
    service: z.string(),
    reason: z.string().optional(),
  })
  .loose();
const output = z.object(
  Object.fromEntries(Object.keys(SECTIONS).map((k) => [k, section])) as Record<SectionName, typeof section>,
);

async function runSection(deps: WorkerDeps, octx: OperationContext, key: SectionName) {
  const read = SECTIONS[key];
  const { service } = STATUS_SERVICES[key];
  try {
    return { available: true, service, ...(await read(deps.gate, octx)) };
  } catch (e) {
    const absent = isServiceMissing(e) || (e instanceof AppError && e.code === 'DBUS_CONNECT_FAILED');
    const info = describeError(e);
    const reason = absent
      ? `${service} is not available on the system bus (${info.message})`
      : `${info.name}: ${info.message}`;
    const fallback = key === 'host' && absent ? await localHost() : {};
    return { available: false, service, reason, ...fallback };
  }
}

/** Sections that were not asked for are absent. */
const partialOutput = output.partial();

const input = z.object({
  sections: z
    .array(z.enum(Object.keys(SECTIONS) as [SectionName, ...SectionName[]]))
    .optional()
    .describe('Only these sections (default: all).'),
});

export function registerStatus(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'status',
    {
      title: 'System status overview',
      description:
        'One read of the machine: power and battery (UPower), network state, connectivity and active ' +
        'connections (NetworkManager), hostname and OS (hostnamed), time zone and NTP (timedated), login ' +
        'sessions (logind). UPower, hostnamed and timedated are started on demand when only installed. Each ' +
        'section says available=false with the reason when its service is absent or the policy refuses it. ' +
        'Read-only; allowed at every safety level.',
      inputSchema: input,
      outputSchema: partialOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ sections }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const keys = sections ?? (Object.keys(SECTIONS) as SectionName[]);
        const results = await Promise.all(keys.map((k) => runSection(deps, octx, k)));
        return dataResult(Object.fromEntries(keys.map((k, i) => [k, results[i]])));
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
