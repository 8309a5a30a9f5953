import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { findClipboard } from './clipboard-providers.js';
import type { ToolDeps } from './deps.js';
import { taskRequest } from './desktop-common.js';
import { guarded, operationContext, queuedCall } from './operations.js';
import { dataResult, errorResult } from './result.js';

const MAX_TEXT = 1024 * 1024;

const output = z.object({
  length: z.number().describe('Characters written.'),
  provider: z.enum(['klipper', 'gpaste']).describe('The clipboard service that took the text.'),
});

const input = z.object({
  text: z.string().max(MAX_TEXT).describe('The text to put on the clipboard (at most 1 MiB).'),
});

export function registerClipboardWrite(server: McpServer, deps: ToolDeps) {
  server.registerTool(
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
        const conn = deps.buses.get('session');
        const p = await findClipboard(deps, conn, octx);
        const target = {
          destination: p.destination,
          path: p.path,
          interface: p.interface,
          member: p.write.member,
        };
        await guarded(deps, taskRequest('session', target, 'clipboard_write', ['<text>']), octx, (_auth, c) =>
          queuedCall(deps, c, { ...target, signature: 's', body: [text], noAutoStart: true }, octx),
        );
        return dataResult({ length: text.length, provider: p.id }, 'Clipboard written.');
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
