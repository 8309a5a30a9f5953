import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { startedNote } from '../desktop/activation.js';
import { characters, findClipboard } from '../desktop/clipboard.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';

const output = z.object({
  text: z.string().describe('The current clipboard text ("" when empty).'),
  length: z.number().describe('Characters (Unicode code points) in text.'),
  provider: z.enum(['klipper', 'gpaste']).describe('The clipboard service that answered.'),
  started: z.array(z.string()).optional().describe('Services this call started (D-Bus activation).'),
});

const input = z.object({});

export function registerClipboardRead(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'clipboard_read',
    {
      title: 'Read the clipboard',
      description:
        "Read the desktop clipboard's current text through a D-Bus clipboard manager: KDE Klipper or GPaste " +
        '(GNOME and other GTK desktops), started when it is installed but not running. Empty clipboard: "". ' +
        'Fails with a clear message when the desktop has neither (sway and other wlroots desktops usually: use ' +
        'wl-paste there). The clipboard may hold private data: read it only when the human asked for it. Needs ' +
        'safety level medium or lower.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (_args, ctx) => {
      const octx = operationContext(ctx);
      try {
        const { provider, started } = await findClipboard(deps.gate, octx, deps.env, 'clipboard_read');
        const text = await provider.read(deps.gate, octx);
        const data = {
          text,
          length: characters(text),
          provider: provider.id,
          ...(started.length > 0 ? { started } : {}),
        };
        return dataResult(data, startedNote(started) || undefined);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
