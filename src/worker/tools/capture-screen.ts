import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { capture, captureOutput } from '../desktop/screenshot.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { errorResult } from '../mcp/result.js';

const input = z.object({});

export function registerCaptureScreen(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'capture_screen',
    {
      title: 'Take a screenshot of the screen',
      description:
        'Capture the whole screen and return it as an image (PNG) plus the path of the saved file ' +
        '(SCREENSHOT_DIR, default ~/.cache/dbus-mcp/screenshots; old files are pruned). Uses the XDG desktop ' +
        'portal (the desktop may ask the human to allow it), else GNOME Shell. Screens can show private data: ' +
        'capture only when the task needs it. Needs safety level medium or lower; rate-limited.',
      inputSchema: input,
      outputSchema: captureOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async (_args, ctx) => {
      try {
        return await capture(deps.gate, deps.config(), operationContext(ctx), 'screen');
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
