import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { findClipboard, readClipboard } from './clipboard-providers.js';
import type { ToolDeps } from './deps.js';
import { taskRequest } from './desktop-common.js';
import { guarded, operationContext } from './operations.js';
import { dataResult, errorResult } from './result.js';

const output = z.object({
  text: z.string().describe('The current clipboard text ("" when empty).'),
  length: z.number(),
  provider: z.enum(['klipper', 'gpaste']).describe('The clipboard service that answered.'),
});

const input = z.object({});

export function registerClipboardRead(server: McpServer, deps: ToolDeps) {
  server.registerTool(
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
        const conn = deps.buses.get('session');
        const p = await findClipboard(deps, conn, octx);
        const target = {
          destination: p.destination,
          path: p.path,
          interface: p.interface,
          member: p.read.member,
        };
        const text = await guarded(deps, taskRequest('session', target, 'clipboard_read'), octx, (_auth, c) =>
          readClipboard(deps, c, p, octx),
        );
        return dataResult({ text, length: text.length, provider: p.id });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
