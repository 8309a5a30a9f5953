import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { capture, captureOutput } from '../desktop/screenshot.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { errorResult } from '../mcp/result.js';

const input = z.object({});

export function registerCaptureActiveWindow(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'capture_active_window',
    {
      title: 'Take a screenshot of the active window',
      description:
        'Capture the focused window (with its frame) and return it as an image (PNG) plus the path of the ' +
        'saved file in SCREENSHOT_DIR. Needs GNOME Shell: the XDG portal cannot capture a single window ' +
        '(use capture_screen there). Needs safety level medium or lower; rate-limited.',
      inputSchema: input,
      outputSchema: captureOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async (_args, ctx) => {
      try {
        return await capture(deps.gate, deps.config(), operationContext(ctx), 'window');
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
