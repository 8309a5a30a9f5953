import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { startedNote } from '../desktop/activation.js';
import { characters, findClipboard, writeClipboard } from '../desktop/clipboard.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';

const MAX_TEXT = 1024 * 1024;

const output = z.object({
  length: z.number().describe('Characters (Unicode code points) written.'),
  provider: z.enum(['klipper', 'gpaste']).describe('The clipboard service that took the text.'),
  started: z.array(z.string()).optional().describe('Services this call started (D-Bus activation).'),
});

const input = z.object({
  text: z
    .string()
    .max(MAX_TEXT)
    .describe('The text to put on the clipboard: at least one character, at most 1 MiB.'),
});

export function registerClipboardWrite(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'clipboard_write',
    {
      title: 'Write the clipboard',
      description:
        'Put text on the desktop clipboard (replacing what is there) through a D-Bus clipboard manager: KDE ' +
        'Klipper or GPaste, started when it is installed but not running — e.g. so the human can paste something ' +
        'you prepared. Empty text is refused: it cannot clear the clipboard (Klipper ignores it, GPaste refuses ' +
        'it). Fails with a clear message when the desktop has no clipboard manager. Needs safety level medium or lower.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ text }, ctx) => {
      const octx = operationContext(ctx);
      try {
        if (text === '') {
          throw new AppError(
            'INVALID_ARGUMENT',
            'text is empty: clipboard_write puts text on the clipboard and cannot clear it ' +
              '(Klipper ignores an empty text, GPaste refuses it); the clipboard is unchanged',
          );
        }
        if (text.includes('\0'))
          throw new AppError('VALUE_CONVERSION', 'text must not contain NUL characters');
        const { provider, started } = await findClipboard(deps.gate, octx, deps.env, 'clipboard_write');
        await writeClipboard(deps.gate, provider, text, octx);
        const data = {
          length: characters(text),
          provider: provider.id,
          ...(started.length > 0 ? { started } : {}),
        };
        const note = startedNote(started);
        return dataResult(data, note ? `${note} Clipboard written.` : 'Clipboard written.');
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
