import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { dataResult, errorResult } from '../mcp/result.js';

const output = z.object({
  subscription_id: z.string(),
  unsubscribed: z.boolean(),
  received: z.number().describe('Signals the subscription received in its life.'),
  discarded: z.number().describe('Signals still buffered and now discarded.'),
  subscriptions: z.number().describe('Subscriptions this client still holds.'),
});

const input = z.object({ subscription_id: z.string().min(1).describe('From subscribe_signals.') });

export function registerUnsubscribeSignals(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'unsubscribe_signals',
    {
      title: 'End a D-Bus signal subscription',
      description:
        'End a subscription made with subscribe_signals: its match rule leaves the bus and unread signals are ' +
        'discarded (read_signals first if you need them). A read waiting on it returns at once.',
      inputSchema: input,
      outputSchema: output,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ subscription_id }) => {
      try {
        const info = await deps.signals.unsubscribe(subscription_id);
        return dataResult({
          subscription_id,
          unsubscribed: true,
          received: info.received,
          discarded: info.buffered,
          subscriptions: deps.signals.list().length,
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
