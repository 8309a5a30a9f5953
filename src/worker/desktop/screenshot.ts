import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { unwrapVariant } from '../dbus/values/index.js';
import type { Gate } from '../gate/gate.js';
import type { AuthorizedOperation } from '../gate/operation.js';
import type { OperationContext } from '../mcp/context.js';
import { withProgress } from '../mcp/context.js';
import type { Config } from '../../shared/config.js';
import { taskRequest, unavailable } from './common.js';
import { ensureScreenshotDir, imageInfo, newShotPath, pruneShots, saveShot } from './screenshot-store.js';

const PORTAL = 'org.freedesktop.portal.Desktop';
const PORTAL_PATH = '/org/freedesktop/portal/desktop';
const GNOME = {
  destination: 'org.gnome.Shell.Screenshot',
  path: '/org/gnome/Shell/Screenshot',
  interface: 'org.gnome.Shell.Screenshot',
};
/** The portal may show a consent dialog: give the human time to answer. */
const PORTAL_WAIT_MS = 120_000;
const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

export type Provider = 'portal' | 'gnome-shell';

export const captureOutput = z.object({
  path: z.string().describe('Where the image was saved (list_screenshot_files lists them).'),
  provider: z.enum(['portal', 'gnome-shell']),
  mime_type: z.string(),
  bytes: z.number(),
  width: z.number().optional(),
  height: z.number().optional(),
  source_uri: z.string().optional().describe('The file the portal wrote (left in place).'),
});

const kwinExplanation =
  'KWin offers screenshots only through org.kde.KWin.ScreenShot2, which hands the image over a pipe file ' +
  'descriptor (D-Bus type h); the D-Bus library dbus-mcp uses cannot pass file descriptors, so it cannot use it. ' +
  'Install xdg-desktop-portal-kde (org.freedesktop.portal.Desktop with the Screenshot portal) so capture_screen works.';

/** The request path the portal will use for our token (the Request/Response handshake, portal ≥ 0.9). */
export function portalRequestPath(unique: string, token: string): string {
  return `${PORTAL_PATH}/request/${unique.slice(1).replace(/\./g, '_')}/${token}`;
}

const REQUEST = 'org.freedesktop.portal.Request';

/**
 * The portal's Screenshot request inside its judged operation: listen on the predicted request
 * path, call, wait for the Response (the human may be asked), read the file it names.
 */
async function portalCapture(
  gate: Gate,
  op: AuthorizedOperation,
  token: string,
  octx: OperationContext,
): Promise<Buffer & { uri?: string }> {
  const requestPath = portalRequestPath(await op.uniqueName(), token);
  const response = { interface: REQUEST, member: 'Response' };
  // Listen on the predicted path before calling: the Response can follow the reply immediately.
  let armed = await op.watch({ ...response, path: requestPath });
  try {
    const handle = String((await op.call()).body[0]);
    if (handle !== requestPath) {
      // A portal older than 0.9 chose its own path.
      await armed.release();
      armed = await op.watch({ ...response, path: handle });
    }
    let msg;
    try {
      msg = await withProgress(
        octx,
        'waiting for the portal',
        armed.next(PORTAL_WAIT_MS, octx.signal),
        PORTAL_WAIT_MS,
      );
    } catch (e) {
      // Closing our own request (the portal lets only its owner do that) is no new action.
      const close = taskRequest(
        'session',
        { destination: PORTAL, path: handle, interface: REQUEST, member: 'Close' },
        'read',
      );
      await gate.run(close, {}, (c) => c.call()).catch(() => undefined);
      throw e;
    }
    const [code, results] = msg.body as [number, Record<string, unknown>];
    if (code !== 0) {
      const why = code === 1 ? 'the human cancelled it' : 'the portal reports it failed';
      throw new AppError('PORTAL_REQUEST_FAILED', `the screenshot was not taken: ${why} (response ${code})`, {
        details: { response: code },
      });
    }
    const uri = unwrapVariant(results?.uri);
    if (typeof uri !== 'string' || !uri.startsWith('file://')) {
      throw new AppError(
        'PORTAL_REQUEST_FAILED',
        `the portal answered without a file uri (${JSON.stringify(uri)})`,
      );
    }
    const file = fileURLToPath(uri);
    if ((await stat(file)).size > MAX_IMAGE_BYTES)
      throw new AppError('PORTAL_REQUEST_FAILED', `${file} is too large`);
    return Object.assign(await readFile(file), { uri });
  } finally {
    await armed.release();
  }
}

/** GNOME Shell's Screenshot/ScreenshotWindow, writing to a path in SCREENSHOT_DIR we chose. */
async function gnomeCapture(gate: Gate, octx: OperationContext, what: 'screen' | 'window', dir: string) {
  const target = newShotPath(dir, what, 'png');
  const call =
    what === 'screen'
      ? { member: 'Screenshot', signature: 'bbs', args: [false, false, target] }
      : { member: 'ScreenshotWindow', signature: 'bbbs', args: [true, false, false, target] };
  const req = taskRequest('session', { ...GNOME, member: call.member }, 'screenshot', call);
  const [ok, used] = await gate.run(req, octx, async (op) => (await op.call()).body as [boolean, string]);
  if (!ok) throw new AppError('SERVICE_UNAVAILABLE', 'GNOME Shell did not take the screenshot');
  const path = used || target;
  await chmod(path, 0o600).catch(() => undefined);
  return { data: await readFile(path), path };
}

/**
 * Takes a screenshot through the first available route — the XDG portal (screen only), GNOME
 * Shell — saves it in SCREENSHOT_DIR (0700; pruned by age and count) and returns image content
 * plus the saved path. KWin without a portal is explained, not attempted (it needs fd passing).
 */
export async function capture(
  gate: Gate,
  config: Config,
  octx: OperationContext,
  what: 'screen' | 'window',
): Promise<CallToolResult> {
  const dir = await ensureScreenshotDir(config);
  const running = (name: string) => gate.driver.nameHasOwner('session', name, octx);
  let provider: Provider;
  let data: Buffer;
  let path: string | undefined;
  let sourceUri: string | undefined;
  if (what === 'screen' && (await running(PORTAL))) {
    provider = 'portal';
    const token = `dbus_mcp_${randomBytes(8).toString('hex')}`;
    const options = { handle_token: token, interactive: false, modal: false };
    const req = taskRequest(
      'session',
      {
        destination: PORTAL,
        path: PORTAL_PATH,
        interface: 'org.freedesktop.portal.Screenshot',
        member: 'Screenshot',
      },
      'screenshot',
      { signature: 'sa{sv}', args: ['', options], autoStart: true },
    );
    const got = await gate.run(req, octx, (op) => portalCapture(gate, op, token, octx));
    data = got;
    sourceUri = got.uri;
  } else if (await running(GNOME.destination)) {
    provider = 'gnome-shell';
    ({ data, path } = await gnomeCapture(gate, octx, what, dir));
  } else if (await running('org.kde.KWin')) {
    throw new AppError('UNSUPPORTED_TYPE', kwinExplanation);
  } else {
    const hint =
      what === 'screen'
        ? 'dbus-mcp captures through the XDG desktop portal (org.freedesktop.portal.Desktop), GNOME Shell or KWin; none is on this session bus.'
        : 'Capturing only the active window needs GNOME Shell (org.gnome.Shell.Screenshot); the portal can only capture the whole screen (use capture_screen).';
    throw unavailable(`No screenshot service for the ${what} on this desktop`, hint);
  }
  const info = imageInfo(data);
  if (!info)
    throw new AppError('PORTAL_REQUEST_FAILED', `the ${provider} screenshot is neither PNG nor JPEG`);
  if (!path) {
    path = newShotPath(dir, what, info.ext);
    await saveShot(path, data);
  }
  await pruneShots(config);
  const structured = {
    path,
    provider,
    mime_type: info.mimeType,
    bytes: data.length,
    ...(info.width !== undefined ? { width: info.width, height: info.height } : {}),
    ...(sourceUri ? { source_uri: sourceUri } : {}),
  };
  return {
    content: [
      { type: 'image', data: data.toString('base64'), mimeType: info.mimeType },
      { type: 'text', text: `Screenshot saved to ${path}\n${JSON.stringify(structured, null, 2)}` },
    ],
    structuredContent: structured,
  };
}
