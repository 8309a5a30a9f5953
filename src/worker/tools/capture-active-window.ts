import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { capture, captureInput, captureOutput } from '../desktop/screenshot.js';
import type { WorkerDeps } from '../deps.js';
import { checkTimeout, operationContext } from '../mcp/context.js';
import { errorResult } from '../mcp/result.js';

export function registerCaptureActiveWindow(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'capture_active_window',
    {
      title: 'Take a screenshot of the active window',
      description:
        'Capture the focused window (with its frame) and return it as an image (PNG) plus the path of the ' +
        "saved file in SCREENSHOT_DIR. Needs GNOME Shell's own screenshot API, which GNOME Shell 41 and later " +
        'refuse to callers they have not allowlisted (the error says so); the XDG portal cannot capture a single ' +
        'window without asking the human, so on other desktops and on current GNOME use capture_screen. Needs ' +
        'safety level medium or lower; rate-limited.',
      inputSchema: captureInput,
      outputSchema: captureOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async ({ timeout_ms }, ctx) => {
      try {
        const config = deps.config();
        const timeoutMs = checkTimeout(config, timeout_ms);
        const capDeps = { gate: deps.gate, config, env: deps.env };
        return await capture(capDeps, operationContext(ctx), 'window', { timeoutMs });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
