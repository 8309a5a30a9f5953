import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { BusConnection } from '../dbus/connection.js';
import { fromDBusArgs, toDBusArgs } from '../dbus/values/index.js';
import { isValidSignature } from '../dbus/signature.js';
import type { ToolDeps } from './deps.js';
import type { OperationContext } from './operations.js';
import { checkTimeout, guarded, operationContext, queuedCall } from './operations.js';
import { dataResult, errorResult } from './result.js';
import { busInput, pathInput, serviceInput } from './schemas.js';

const output = z.object({
  signature: z.string().describe('D-Bus signature of the reply (all out arguments).'),
  values: z.array(z.unknown()).describe('The out arguments as typed JSON, in order.'),
});

/** The in-signature: the caller's, else the introspected method's, else "" for a call with no arguments. */
async function inSignature(
  conn: BusConnection,
  target: { service: string; path: string; iface: string | undefined; method: string },
  given: string | undefined,
  argCount: number,
  octx: OperationContext,
): Promise<string> {
  if (given !== undefined) {
    if (!isValidSignature(given))
      throw new AppError('INVALID_SIGNATURE', `signature ${JSON.stringify(given)} is not valid`);
    return given;
  }
  const info = target.iface
    ? await conn.introspection
        .method(target.service, target.path, target.iface, target.method, octx)
        .catch(() => undefined)
    : undefined;
  if (info)
    return info.args
      .filter((a) => a.direction !== 'out')
      .map((a) => a.type)
      .join('');
  if (argCount === 0) return '';
  throw new AppError(
    'SIGNATURE_UNKNOWN',
    `introspection of ${target.service} ${target.path} does not describe ${target.iface ?? '(no interface)'}.${target.method}; ` +
      'pass `signature` (the D-Bus types of the in-arguments, e.g. "su")',
  );
}

const input = z.object({
  bus: busInput,
  service: serviceInput,
  path: pathInput,
  interface: z.string().min(1).optional().describe('Interface of the method; strongly recommended.'),
  method: z.string().min(1).describe('Method name (case-sensitive).'),
  args: z.array(z.unknown()).default([]).describe('In-arguments as a JSON array.'),
  signature: z.string().optional().describe('D-Bus signature of the in-arguments; default: introspection.'),
  timeout_ms: z.number().int().min(1).optional().describe('Call timeout (default CALL_TIMEOUT_MS, 10 s).'),
});

export function registerCallMethod(server: McpServer, deps: ToolDeps) {
  server.registerTool(
    'call_method',
    {
      title: 'Call a D-Bus method',
      description:
        'Call a method on an object. `args` is a JSON array converted to the D-Bus types from introspection ' +
        '(or from `signature`, e.g. "sa{sv}"); integers are range-checked, 64-bit values may be strings, ' +
        'variants may be bare JSON or {signature, value} (docs/TOOLS.md). Returns the out arguments as ' +
        '{signature, values}. Without `interface` the method is looked up by introspection. What a call may ' +
        'do depends on the safety level (show_help; explain_policy tells in advance).',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
    },
    async ({ bus, service, path, interface: iface, method, args, signature, timeout_ms }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const timeoutMs = checkTimeout(deps, timeout_ms);
        const req = {
          bus,
          destination: service,
          path,
          interface: iface,
          member: method,
          access: 'call' as const,
          args,
        };
        const reply = await guarded(deps, req, octx, async (auth, conn) => {
          const resolvedIface = iface ?? auth.interface;
          const sig = await inSignature(
            conn,
            { service, path, iface: resolvedIface, method },
            signature,
            args.length,
            octx,
          );
          const body = toDBusArgs(sig, args);
          return queuedCall(
            deps,
            conn,
            { destination: service, path, interface: resolvedIface, member: method, signature: sig, body },
            { ...octx, timeoutMs },
          );
        });
        return dataResult({ signature: reply.signature, values: fromDBusArgs(reply.signature, reply.body) });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
