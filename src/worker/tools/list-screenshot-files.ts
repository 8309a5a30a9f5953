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
  pruned: z.number().describe('Screenshots this call deleted (older than max_age_days or beyond max_files).'),
});

const input = z.object({});

/** The title says it too (tool title and annotations): listing prunes. */
const TITLE = 'List saved screenshots (prunes old ones)';

export function registerListScreenshotFiles(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'list_screenshot_files',
    {
      title: TITLE,
      description:
        'List the screenshots capture_screen and capture_active_window saved (newest first) with their paths, ' +
        'sizes and times. It prunes first: it deletes the saved screenshots older than SCREENSHOT_MAX_AGE_DAYS ' +
        "or beyond the newest SCREENSHOT_MAX_FILES. It touches only this server's own files (regular files with " +
        'its own names, never following a link) in SCREENSHOT_DIR, which must be a 0700 directory of this user; ' +
        'it takes no screenshot.',
      inputSchema: input,
      outputSchema: output,
      // Not read-only: listing prunes (deletes old screenshots of this server).
      annotations: {
        title: TITLE,
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async () => {
      try {
        const config = deps.config();
        const pruned = await pruneShots(config);
        const files = await listShots(config);
        return dataResult({
          dir: screenshotDir(config),
          count: files.length,
          files,
          max_files: config.SCREENSHOT_MAX_FILES,
          max_age_days: config.SCREENSHOT_MAX_AGE_DAYS,
          pruned,
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
