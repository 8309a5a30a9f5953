import type { CallToolResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Config } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import { startedNote } from './activation.js';
import { unavailable } from './common.js';
import { removePortalCopy } from './portal-copies.js';
import { gnomeCapture } from './screenshot-gnome.js';
import { portalScreenshot, startPortal } from './screenshot-portal.js';
import { routeFor, surveyScreenshots } from './screenshot-route.js';
import { ensureScreenshotDir, imageInfo, newShotPath, pruneShots, saveShot } from './screenshot-store.js';

/**
 * How long a capture may take when the request does not say (`timeout_ms`): starting the portal,
 * and the human answering a first-use consent dialog, included. It stays below the 60 s an MCP
 * client usually waits for a tool call, so the client gets the explanation, not a timeout.
 */
export const CAPTURE_TIMEOUT_MS = 45_000;

export type Provider = 'portal' | 'gnome-shell';

export const captureInput = z.object({
  timeout_ms: z
    .number()
    .int()
    .min(1000)
    .optional()
    .describe(
      `How long to wait for the screenshot, a consent dialog the desktop shows the human included ` +
        `(default ${CAPTURE_TIMEOUT_MS} ms; at most MAX_CALL_TIMEOUT_MS). Keep it below your client's own request timeout.`,
    ),
});

export const captureOutput = z.object({
  path: z.string().describe('Where the image was saved (list_screenshot_files lists them).'),
  provider: z.enum(['portal', 'gnome-shell']),
  mime_type: z.string(),
  bytes: z.number(),
  width: z.number().optional(),
  height: z.number().optional(),
  source_uri: z
    .string()
    .optional()
    .describe("The file the portal wrote; removed after copying when it is the backend's known leftover."),
  source_removed: z.boolean().optional().describe("Whether the portal's file (source_uri) was removed."),
  started: z.array(z.string()).optional().describe('Services this call started (D-Bus activation).'),
});

const kwinExplanation =
  'KWin offers screenshots only through org.kde.KWin.ScreenShot2, which hands the image over a pipe file ' +
  'descriptor (D-Bus type h); the D-Bus library dbus-mcp uses cannot pass file descriptors, so it cannot use it. ' +
  'Install xdg-desktop-portal-kde (org.freedesktop.portal.Desktop with the Screenshot portal) so capture_screen works.';

/** What a capture needs of the worker. */
export interface CaptureDeps {
  gate: Gate;
  config: Config;
  /** The worker's environment (XDG_CURRENT_DESKTOP, HOME, XDG_DESKTOP_PORTAL_DIR). */
  env: NodeJS.ProcessEnv;
}

interface Shot {
  provider: Provider;
  data: Buffer;
  path?: string;
  sourceUri?: string;
  sourceRemoved?: boolean;
  started: string[];
}

/** The portal route: start it when it is only installed, take the shot, remove its own copy. */
async function throughPortal(deps: CaptureDeps, octx: OperationContext, deadline: number, start: boolean) {
  const pc = { gate: deps.gate, octx, env: deps.env, deadline };
  const started = start ? await startPortal(pc) : [];
  const file = await portalScreenshot(pc);
  return { file, started };
}

async function take(
  deps: CaptureDeps,
  octx: OperationContext,
  what: 'screen' | 'window',
  dir: string,
  deadline: number,
): Promise<{ shot: Shot; finish: () => Promise<boolean | undefined> }> {
  const survey = await surveyScreenshots(deps.gate, octx);
  switch (routeFor(survey, what)) {
    case 'portal': {
      const since = Date.now();
      const { file, started } = await throughPortal(deps, octx, deadline, survey.portal === 'activatable');
      const shot: Shot = { provider: 'portal', data: file.data, sourceUri: file.uri, started };
      // The portal's own copy goes only once ours is saved.
      return { shot, finish: async () => (await removePortalCopy(file, deps.env, since)).removed };
    }
    case 'gnome-shell': {
      const { data, path } = await gnomeCapture(deps.gate, octx, what, dir);
      return { shot: { provider: 'gnome-shell', data, path, started: [] }, finish: async () => undefined };
    }
    case 'kwin':
      throw new AppError('UNSUPPORTED_TYPE', kwinExplanation);
    case 'none':
      if (what === 'window' && survey.portal !== 'absent') {
        throw unavailable(
          'No way to capture only the active window here: the XDG portal captures the whole screen, or lets the human pick a window in a dialog (not done without asking)',
          'Use capture_screen. Capturing the active window needs GNOME Shell (org.gnome.Shell.Screenshot) before version 41.',
        );
      }
      throw unavailable(
        `No screenshot service for the ${what} on this desktop`,
        what === 'screen'
          ? 'dbus-mcp captures through the XDG desktop portal (org.freedesktop.portal.Desktop; install xdg-desktop-portal and the backend of this desktop: -gnome, -kde or -wlr), GNOME Shell or KWin; none is on this session bus.'
          : 'Capturing only the active window needs GNOME Shell (org.gnome.Shell.Screenshot, before version 41); the portal can only capture the whole screen (use capture_screen).',
      );
  }
}

/**
 * Takes a screenshot through the route the survey chooses (screenshot-route.ts), saves it in
 * SCREENSHOT_DIR (checked: a 0700 directory of this user; pruned by age and count) and returns
 * image content plus the saved path. The whole capture is bounded by `timeoutMs`.
 */
export async function capture(
  deps: CaptureDeps,
  octx: OperationContext,
  what: 'screen' | 'window',
  opts: { timeoutMs?: number } = {},
): Promise<CallToolResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? CAPTURE_TIMEOUT_MS);
  const dir = await ensureScreenshotDir(deps.config);
  const { shot, finish } = await take(deps, octx, what, dir, deadline);
  const info = imageInfo(shot.data);
  if (!info)
    throw new AppError('PORTAL_REQUEST_FAILED', `the ${shot.provider} screenshot is neither PNG nor JPEG`);
  let path = shot.path;
  if (!path) {
    path = newShotPath(dir, what, info.ext);
    await saveShot(path, shot.data);
  }
  const removed = await finish();
  await pruneShots(deps.config);
  const structured = {
    path,
    provider: shot.provider,
    mime_type: info.mimeType,
    bytes: shot.data.length,
    ...(info.width !== undefined ? { width: info.width, height: info.height } : {}),
    ...(shot.sourceUri ? { source_uri: shot.sourceUri } : {}),
    ...(removed !== undefined ? { source_removed: removed } : {}),
    ...(shot.started.length > 0 ? { started: shot.started } : {}),
  };
  const note = startedNote(shot.started);
  return {
    content: [
      { type: 'image', data: shot.data.toString('base64'), mimeType: info.mimeType },
      {
        type: 'text',
        text: `Screenshot saved to ${path}${note ? `\n${note}` : ''}\n${JSON.stringify(structured, null, 2)}`,
      },
    ],
    structuredContent: structured,
  };
}
