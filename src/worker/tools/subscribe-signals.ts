import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { busInput } from '../mcp/schemas.js';

const output = z.object({
  subscription_id: z.string().describe('Pass to read_signals and unsubscribe_signals.'),
  bus: z.enum(['session', 'system']),
  match_rule: z.string().describe('The D-Bus match rule installed on the bus.'),
  buffer_size: z.number().describe('Signals kept until read; older ones are dropped and counted.'),
  subscriptions: z.number().describe('Subscriptions this client holds now.'),
  max_subscriptions: z.number(),
});

const input = z.object({
  bus: busInput,
  sender: z.string().min(1).optional().describe('Only signals from this bus name (well-known or unique).'),
  path: z.string().min(1).optional().describe('Only signals from exactly this object path.'),
  path_namespace: z
    .string()
    .min(1)
    .optional()
    .describe('Only signals from this object path or below it (not together with path).'),
  interface: z.string().min(1).optional().describe('Only signals of this interface.'),
  member: z.string().min(1).optional().describe('Only signals with this name, e.g. PropertiesChanged.'),
  arg0: z.string().optional().describe('Only signals whose first argument is this string.'),
});

export function registerSubscribeSignals(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'subscribe_signals',
    {
      title: 'Subscribe to D-Bus signals',
      description:
        'Start collecting D-Bus signals that match a filter; returns a subscription_id. Then call read_signals ' +
        '(it can wait for signals to arrive) and unsubscribe_signals when done. Narrow the filter: sender (a ' +
        'well-known or unique name), path or path_namespace (a path and everything below it), interface, member ' +
        '(signal name), arg0 (the first argument, when it is a string). Examples: ' +
        'interface=org.freedesktop.DBus.Properties member=PropertiesChanged path=/org/mpris/MediaPlayer2; ' +
        'sender=org.freedesktop.Notifications member=ActionInvoked. Signals are buffered per subscription ' +
        '(SIGNAL_BUFFER_SIZE); a client holds at most MAX_SUBSCRIPTIONS. Subscriptions end when the session ' +
        'or its worker ends. Receiving signals is a read, allowed at every safety level.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, ctx) => {
      const octx = operationContext(ctx);
      try {
        // The hub has the policy judge it as a read of the sender (a deny rule on a service covers its signals).
        const info = await deps.signals.subscribe(args, octx);
        const config = deps.config();
        return dataResult({
          subscription_id: info.id,
          bus: info.bus,
          match_rule: info.match_rule,
          buffer_size: info.buffer_size,
          subscriptions: deps.signals.list().length,
          max_subscriptions: config.MAX_SUBSCRIPTIONS,
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
