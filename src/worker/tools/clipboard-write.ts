import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { findClipboard, writeClipboard } from '../desktop/clipboard.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';

const MAX_TEXT = 1024 * 1024;

const output = z.object({
  length: z.number().describe('Characters written.'),
  provider: z.enum(['klipper', 'gpaste']).describe('The clipboard service that took the text.'),
});

const input = z.object({
  text: z.string().max(MAX_TEXT).describe('The text to put on the clipboard (at most 1 MiB).'),
});

export function registerClipboardWrite(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'clipboard_write',
    {
      title: 'Write the clipboard',
      description:
        'Put text on the desktop clipboard (replacing what is there) through a D-Bus clipboard service ' +
        '(KDE Klipper, GPaste), e.g. so the human can paste something you prepared. Fails with a clear message ' +
        'when the desktop has none. Needs safety level medium or lower.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ text }, ctx) => {
      const octx = operationContext(ctx);
      try {
        if (text.includes('\0'))
          throw new AppError('VALUE_CONVERSION', 'text must not contain NUL characters');
        const p = await findClipboard(deps.gate, octx);
        await writeClipboard(deps.gate, p, text, octx);
        return dataResult({ length: text.length, provider: p.id }, 'Clipboard written.');
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
