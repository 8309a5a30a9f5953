import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { busInput, serviceInput } from '../mcp/schemas.js';
import type { OperationRequest } from '../policy/index.js';

const ACCESS = { call: 'call', get: 'get', set: 'set' } as const;

const output = z.object({
  decision: z.enum(['allow', 'deny', 'ask']),
  kind: z.string(),
  level: z.string(),
  reason: z.string(),
  rule: z.string().optional(),
  hint: z.string().optional(),
  interface: z.string().optional(),
  member: z.string(),
  access: z.string(),
  names: z.array(z.string()).describe('The destination and every name its owner holds.'),
  owner: z.string().optional(),
  classified_by: z.string().optional(),
  levels: z.record(z.string(), z.boolean()).describe('Whether each level allows this kind without rules.'),
});

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: z.string().min(1).default('/'),
  interface: z.string().min(1).optional(),
  member: z.string().min(1).optional().describe('Method or property name.'),
  operation: z.enum(['call', 'get', 'set']).default('call'),
});

export function registerExplainPolicy(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'explain_policy',
    {
      title: 'Explain a policy decision',
      description:
        'Tell, without doing anything, whether an operation would be allowed at the current safety level, ' +
        'what kind of operation the policy considers it, and which level or operator rule decides. ' +
        'operation: "call" (default; member = method), "get" or "set" (member = property).',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, interface: iface, member, operation }) => {
      try {
        const req: OperationRequest = {
          bus,
          destination: service,
          path,
          interface: iface,
          member: member ?? '',
          access: member === undefined && operation === 'get' ? 'getall' : ACCESS[operation],
        };
        if (req.member === '' && req.access !== 'getall') req.member = 'Introspect';
        const ex = await deps.gate.explain(req);
        const { classifiedBy, ...rest } = ex;
        const data = Object.fromEntries(
          Object.entries({ ...rest, classified_by: classifiedBy }).filter(([, v]) => v !== undefined),
        ) as z.infer<typeof output>;
        return dataResult(data, `${ex.decision.toUpperCase()}: ${ex.reason}`);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
