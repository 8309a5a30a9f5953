import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { CAPTURE_TIMEOUT_MS, capture, captureInput, captureOutput } from '../desktop/screenshot.js';
import type { WorkerDeps } from '../deps.js';
import { checkTimeout, operationContext } from '../mcp/context.js';
import { errorResult } from '../mcp/result.js';

export function registerCaptureScreen(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'capture_screen',
    {
      title: 'Take a screenshot of the screen',
      description:
        'Capture the whole screen and return it as an image (PNG) plus the path of the saved file ' +
        '(SCREENSHOT_DIR, default ~/.cache/dbus-mcp/screenshots; old files are pruned). Goes through the XDG ' +
        'desktop portal (started when it is installed but not running; GNOME, KDE, sway and other wlroots ' +
        'desktops), else GNOME Shell before 41. On GNOME and KDE the desktop asks the human once to allow ' +
        `screenshots: the call then waits for that answer, at most timeout_ms (default ${CAPTURE_TIMEOUT_MS / 1000} s), ` +
        'with progress, and says when a dialog is waiting. Screens can show private data: capture only when the ' +
        'task needs it. Needs safety level medium or lower; rate-limited.',
      inputSchema: captureInput,
      outputSchema: captureOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async ({ timeout_ms }, ctx) => {
      try {
        const config = deps.config();
        const timeoutMs = checkTimeout(config, timeout_ms);
        const capDeps = { gate: deps.gate, config, env: deps.env };
        return await capture(capDeps, operationContext(ctx), 'screen', { timeoutMs });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
