import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { operationContext, withProgress } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import { MAX_READ_COUNT, MAX_READ_WAIT_MS } from '../signals/hub.js';

const signalEvent = z.object({
  seq: z.number().describe('Position in this subscription, from 1; a gap means signals were dropped.'),
  received_at: z.string(),
  sender: z.string().describe('Unique name of the sending connection.'),
  path: z.string(),
  interface: z.string(),
  member: z.string(),
  signature: z.string(),
  args: z.array(z.unknown()).describe('The signal arguments as typed JSON.'),
  args_error: z.string().optional(),
});

const output = z.object({
  subscription_id: z.string(),
  signals: z.array(signalEvent),
  dropped: z.number().describe('Signals lost since the last read because the buffer was full.'),
  remaining: z.number().describe('Signals still buffered after this read (read again to get them).'),
  ended: z.boolean().describe('true when the subscription ended during this read.'),
});

const input = z.object({
  subscription_id: z.string().min(1).describe('From subscribe_signals.'),
  max: z.number().int().min(1).max(MAX_READ_COUNT).default(100).describe('Most signals to return.'),
  wait_ms: z
    .number()
    .int()
    .min(0)
    .max(MAX_READ_WAIT_MS)
    .default(0)
    .describe('How long to wait when nothing is buffered yet (milliseconds).'),
});

export function registerReadSignals(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'read_signals',
    {
      title: 'Read collected D-Bus signals',
      description:
        'Take the signals a subscription (from subscribe_signals) has collected, oldest first, at most `max` ' +
        `(default 100, up to ${MAX_READ_COUNT}). With nothing buffered, waits up to wait_ms (default 0, up to ` +
        `${MAX_READ_WAIT_MS} ms) and returns as soon as a signal arrives. \`dropped\` counts signals lost because ` +
        'the buffer was full; `remaining` says more are waiting.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ subscription_id, max, wait_ms }, ctx) => {
      try {
        const octx = operationContext(ctx);
        const reading = deps.signals.read(subscription_id, { max, waitMs: wait_ms, signal: octx.signal });
        const result = await withProgress(octx, 'waiting for signals', reading, wait_ms);
        const summary = `${result.signals.length} signal(s)${result.dropped ? `, ${result.dropped} dropped` : ''}`;
        return dataResult({ ...result }, summary);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
