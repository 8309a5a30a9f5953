import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { listShots, pruneShots, screenshotDir } from '../desktop/screenshot-store.js';
import type { WorkerDeps } from '../deps.js';
import { dataResult, errorResult } from '../mcp/result.js';

const output = z.object({
  dir: z.string(),
  count: z.number(),
  files: z.array(z.object({ path: z.string(), name: z.string(), bytes: z.number(), modified: z.string() })),
  max_files: z.number(),
  max_age_days: z.number(),
});

const input = z.object({});

export function registerListScreenshotFiles(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'list_screenshot_files',
    {
      title: 'List saved screenshots',
      description:
        'List the screenshots capture_screen and capture_active_window saved (newest first) with their paths, ' +
        'sizes and times. Files older than SCREENSHOT_MAX_AGE_DAYS or beyond SCREENSHOT_MAX_FILES are pruned ' +
        "first. Reads only this server's own files; it takes no screenshot.",
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      try {
        const config = deps.config();
        await pruneShots(config);
        const files = await listShots(config);
        return dataResult({
          dir: screenshotDir(config),
          count: files.length,
          files,
          max_files: config.SCREENSHOT_MAX_FILES,
          max_age_days: config.SCREENSHOT_MAX_AGE_DAYS,
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
