import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { fromDBusArgs } from '../dbus/values/index.js';
import type { WorkerDeps } from '../deps.js';
import { checkTimeout, operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { autoStartInput, busInput, pathInput, serviceInput } from '../mcp/schemas.js';

const output = z.object({
  signature: z.string().describe('D-Bus signature of the reply (all out arguments).'),
  values: z.array(z.unknown()).describe('The out arguments as typed JSON, in order.'),
});

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: pathInput,
  interface: z.string().min(1).optional().describe('Interface of the method; strongly recommended.'),
  method: z.string().min(1).describe('Method name (case-sensitive).'),
  args: z.array(z.unknown()).default([]).describe('In-arguments as a JSON array.'),
  signature: z.string().optional().describe('D-Bus signature of the in-arguments; default: introspection.'),
  timeout_ms: z.number().int().min(1).optional().describe('Call timeout (default CALL_TIMEOUT_MS, 10 s).'),
  auto_start: autoStartInput,
});

export function registerCallMethod(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'call_method',
    {
      title: 'Call a D-Bus method',
      description:
        'Call a method on an object. `args` is a JSON array converted to the D-Bus types from introspection ' +
        '(or from `signature`, e.g. "sa{sv}"); integers are range-checked, 64-bit values may be strings, ' +
        'variants may be bare JSON or {signature, value} (docs/TOOLS.md). Returns the out arguments as ' +
        '{signature, values}. Without `interface` the method is looked up by introspection. A service that ' +
        'is not running is not started unless auto_start is true. What a call may do depends on the safety ' +
        'level (show_help; explain_policy tells in advance).',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
    },
    async (
      { bus, service, path, interface: iface, method, args, signature, timeout_ms, auto_start },
      ctx,
    ) => {
      const octx = operationContext(ctx);
      try {
        const timeoutMs = checkTimeout(deps.config(), timeout_ms);
        const req = {
          bus,
          destination: service,
          path,
          interface: iface,
          member: method,
          access: 'call' as const,
          args,
          ...(signature !== undefined ? { signature } : {}),
          autoStart: auto_start,
        };
        const reply = await deps.gate.run(req, octx, (op) => op.call({ timeoutMs }));
        return dataResult({ signature: reply.signature, values: fromDBusArgs(reply.signature, reply.body) });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
