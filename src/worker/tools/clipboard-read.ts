import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { findClipboard, readClipboard } from '../desktop/clipboard.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';

const output = z.object({
  text: z.string().describe('The current clipboard text ("" when empty).'),
  length: z.number(),
  provider: z.enum(['klipper', 'gpaste']).describe('The clipboard service that answered.'),
});

const input = z.object({});

export function registerClipboardRead(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'clipboard_read',
    {
      title: 'Read the clipboard',
      description:
        "Read the desktop clipboard's current text through a D-Bus clipboard service (KDE Klipper, GPaste). " +
        'Fails with a clear message when the desktop has none. The clipboard may hold private data: read it ' +
        'only when the human asked for it. Needs safety level medium or lower.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (_args, ctx) => {
      const octx = operationContext(ctx);
      try {
        const p = await findClipboard(deps.gate, octx);
        const text = await readClipboard(deps.gate, p, octx);
        return dataResult({ text, length: text.length, provider: p.id });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
