import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import { unwrapVariant } from '../dbus/values/index.js';
import type { Gate } from '../gate/gate.js';
import type { AuthorizedOperation } from '../gate/operation.js';
import type { OperationContext } from '../mcp/context.js';
import { withProgress } from '../mcp/context.js';
import { serviceState, startService } from './activation.js';
import { taskRequest } from './common.js';
import type { PortalFile } from './portal-copies.js';
import { readPortalFile } from './portal-copies.js';
import {
  IMPL_ACCESS,
  IMPL_SCREENSHOT,
  backendFor,
  backendPackage,
  currentDesktops,
  expectedScreenshotPackage,
  readPortalBackends,
} from './portal-config.js';

/**
 * A screenshot through xdg-desktop-portal (org.freedesktop.portal.Screenshot): start the portal
 * when it is only installed, send the request, wait (bounded, with progress) for its Response,
 * read the file it names. Screen only and non-interactive: the portal has no non-interactive
 * window capture.
 */

export const PORTAL = 'org.freedesktop.portal.Desktop';
const PORTAL_PATH = '/org/freedesktop/portal/desktop';
const REQUEST = 'org.freedesktop.portal.Request';
const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

/** The request path the portal will use for our token (the Request/Response handshake, portal ≥ 0.9). */
export function portalRequestPath(unique: string, token: string): string {
  return `${PORTAL_PATH}/request/${unique.slice(1).replace(/\./g, '_')}/${token}`;
}

/** What the portal route needs from the caller. */
export interface PortalContext {
  gate: Gate;
  octx: OperationContext;
  /** The worker's environment: XDG_CURRENT_DESKTOP, XDG_DESKTOP_PORTAL_DIR. */
  env: NodeJS.ProcessEnv;
  /** When the whole capture must be answered (epoch ms). */
  deadline: number;
}

const remaining = (deadline: number) => Math.max(1000, deadline - Date.now());

/**
 * Starts the portal frontend (judged as a screenshot, like the capture). Its Screenshot and
 * Access backends for this desktop are started first when they are activatable and not running:
 * xdg-desktop-portal 1.16 that activates xdg-desktop-portal-wlr itself hangs 25 s in about one
 * start in three (its first call reaches the backend before the backend answers; the bus then
 * times the activation out), while a frontend started after its backend came up in ~0.15 s in 24
 * of 24 starts (docs/DESKTOP-SERVICES.md). Returns the names it started.
 */
export async function startPortal(pc: PortalContext): Promise<string[]> {
  const { gate, octx, env } = pc;
  const started: string[] = [];
  const backends = await readPortalBackends(env);
  const desktops = currentDesktops(env);
  // Without XDG_CURRENT_DESKTOP here the frontend's choice (by its own environment) is unknown:
  // it starts its backends itself then.
  const wanted = new Set(
    desktops.length === 0
      ? []
      : [IMPL_SCREENSHOT, IMPL_ACCESS]
          .map((iface) => backendFor(backends, desktops, iface)?.dbusName)
          .filter((n): n is string => n !== undefined),
  );
  for (const name of wanted) {
    if ((await serviceState(gate, octx, name)) !== 'activatable') continue;
    try {
      if ((await startService(gate, octx, name, 'screenshot', pc.deadline - Date.now())) === 'started')
        started.push(name);
    } catch (e) {
      // The policy's refusal is the answer; a backend that fails to start is left to the frontend
      // (its failure then comes back as response 2, explained below).
      if (e instanceof AppError && (e.code === 'POLICY_DENIED' || e.code === 'RATE_LIMITED')) throw e;
    }
  }
  const slow =
    'xdg-desktop-portal 1.16 can wait 25 s for a backend it starts itself (xdg-desktop-portal-wlr: about one ' +
    'start in three) before it comes up.';
  if ((await startService(gate, octx, PORTAL, 'screenshot', pc.deadline - Date.now(), slow)) === 'started')
    started.push(PORTAL);
  return started;
}

/** Takes the screenshot through the (running) portal: the file its answer names, read. */
export async function portalScreenshot(pc: PortalContext): Promise<PortalFile> {
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
  return pc.gate.run(req, pc.octx, (op) => request(pc, op, token));
}

/**
 * The Request/Response handshake inside the judged operation: listen on the predicted request
 * path, call, wait for the Response (the human may be asked), read the file it names.
 */
async function request(pc: PortalContext, op: AuthorizedOperation, token: string): Promise<PortalFile> {
  const { octx } = pc;
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
    const bound = remaining(pc.deadline);
    let msg;
    try {
      msg = await withProgress(
        octx,
        'waiting for the portal (it may be asking the human, in a dialog, to allow screenshots)',
        armed.next(bound, octx.signal),
        bound,
      );
    } catch (e) {
      // Closing our own request (the portal lets only its owner do that) is no new action.
      const close = taskRequest(
        'session',
        { destination: PORTAL, path: handle, interface: REQUEST, member: 'Close' },
        'read',
      );
      await pc.gate.run(close, {}, (c) => c.call()).catch(() => undefined);
      if (e instanceof AppError && e.code === 'DBUS_TIMEOUT') throw await noResponse(pc, bound);
      throw e;
    }
    const [code, results] = msg.body as [number, Record<string, unknown>];
    if (code === 1) {
      throw new AppError(
        'PORTAL_REQUEST_FAILED',
        'the screenshot was not taken: the human cancelled it (response 1)',
        {
          details: { response: code },
        },
      );
    }
    if (code !== 0) throw await failed(pc, code);
    const uri = unwrapVariant(results?.uri);
    if (typeof uri !== 'string' || !uri.startsWith('file://')) {
      throw new AppError(
        'PORTAL_REQUEST_FAILED',
        `the portal answered without a file uri (${JSON.stringify(uri)})`,
      );
    }
    return await readPortalFile(uri, MAX_IMAGE_BYTES);
  } finally {
    await armed.release();
  }
}

/** The backend the portal uses for screenshots here, and its package. */
async function screenshotBackend(env: NodeJS.ProcessEnv) {
  const desktops = currentDesktops(env);
  const backend = backendFor(await readPortalBackends(env), desktops, IMPL_SCREENSHOT);
  const desktop = env.XDG_CURRENT_DESKTOP
    ? `XDG_CURRENT_DESKTOP=${env.XDG_CURRENT_DESKTOP}`
    : 'XDG_CURRENT_DESKTOP unset';
  return { desktops, backend, desktop, pkg: backend ? backendPackage(backend.id) : undefined };
}

/** PORTAL_NO_RESPONSE: no Response within the bound — on most desktops a consent dialog waiting. */
async function noResponse(pc: PortalContext, bound: number): Promise<AppError> {
  const { backend } = await screenshotBackend(pc.env);
  const s = Math.round(bound / 1000);
  if (backend?.id === 'wlr') {
    return new AppError(
      'PORTAL_NO_RESPONSE',
      `the portal did not answer the screenshot request within ${s} s; xdg-desktop-portal-wlr never asks the human, so its backend (grim) seems to hang`,
      { details: { hint: 'Check that grim works on this display (grim /tmp/test.png), then try again.' } },
    );
  }
  return new AppError(
    'PORTAL_NO_RESPONSE',
    `the portal did not answer the screenshot request within ${s} s: most likely it is showing the human a ` +
      'dialog asking to allow screenshots ("Allow Applications to Take Screenshots?" on GNOME, asked once) and ' +
      'nobody has answered it yet; the request was withdrawn',
    {
      details: {
        hint:
          'Ask the human to watch the screen and choose Allow when the dialog appears, then call capture_screen again ' +
          '(timeout_ms gives them longer; an MCP client usually waits 60 s for a tool call).',
      },
    },
  );
}

/** Response 2 (the portal gives no reason): what this desktop's backend needs. */
async function failed(pc: PortalContext, code: number): Promise<AppError> {
  const { desktops, backend, desktop, pkg } = await screenshotBackend(pc.env);
  const base = `the screenshot was not taken: the portal reports it failed (response ${code})`;
  const err = (cause: string, hint: string) =>
    new AppError('PORTAL_REQUEST_FAILED', `${base}: ${cause}`, { details: { response: code, hint } });
  if (desktops.length === 0) {
    return err(
      "the portal gives no reason, and XDG_CURRENT_DESKTOP is not set in dbus-mcp's environment, so the backend " +
        'this desktop needs cannot be told',
      'Install the portal backend of your desktop (xdg-desktop-portal-gnome, -kde or -wlr). To let dbus-mcp name it, ' +
        'give its service XDG_CURRENT_DESKTOP (systemctl --user import-environment XDG_CURRENT_DESKTOP, then restart it).',
    );
  }
  if (!backend || !pkg) {
    const need = expectedScreenshotPackage(desktops);
    return err(
      `no installed portal backend offers screenshots for this desktop (${desktop})`,
      need
        ? `Install ${need} (the screenshot backend for this desktop), then try again.`
        : 'Install the portal backend of this desktop (xdg-desktop-portal-gnome, -kde or -wlr).',
    );
  }
  const state = await serviceState(pc.gate, pc.octx, backend.dbusName).catch(() => 'unknown');
  if (state === 'absent') {
    return err(
      `the screenshot backend for this desktop (${desktop}), ${pkg} (${backend.dbusName}), is neither running nor installed as D-Bus activatable`,
      `Install the ${pkg} package (its D-Bus service file starts it), then try again.`,
    );
  }
  if (backend.id === 'wlr') {
    return err(
      `${pkg} (${backend.dbusName}) could not take it`,
      'xdg-desktop-portal-wlr runs grim to capture the screen: install grim (Debian only recommends it). It writes ' +
        "/tmp/out.png, which fails while another user's /tmp/out.png is there.",
    );
  }
  return err(
    `its backend ${pkg} (${backend.dbusName}) reported a failure`,
    "The backend's log (journalctl --user) says why.",
  );
}
