import { AppError, DBusCallError } from '../../shared/errors.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import { readProperties } from '../queries/properties.js';
import { taskRequest } from './common.js';
import { adoptShot, newShotPath } from './screenshot-store.js';

/**
 * GNOME Shell's own screenshot API (org.gnome.Shell.Screenshot). Since GNOME Shell 41 it answers
 * only callers it allowlists (its own tools, the portal backend): everyone else gets
 * `AccessDenied: Screenshot is not allowed` / `ScreenshotWindow is not allowed`. It is tried only
 * where the portal cannot serve (no portal; a single window), and a refusal is explained.
 * `Screenshot(…, filename)` writes wherever it is told: the filename is always one dbus-mcp chose
 * in SCREENSHOT_DIR, never a client's.
 */

export const GNOME_SHOT = {
  destination: 'org.gnome.Shell.Screenshot',
  path: '/org/gnome/Shell/Screenshot',
  interface: 'org.gnome.Shell.Screenshot',
} as const;

const ACCESS_DENIED = 'org.freedesktop.DBus.Error.AccessDenied';
const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

/** The first GNOME Shell release that refuses its screenshot API to callers it has not allowlisted. */
export const GNOME_SHELL_RESTRICTED = 41;

/** GNOME Shell's major version (org.gnome.Shell ShellVersion, a read), or undefined. */
export async function gnomeShellMajor(gate: Gate, octx: OperationContext): Promise<number | undefined> {
  try {
    const props = await readProperties(
      gate,
      {
        bus: 'session',
        destination: 'org.gnome.Shell',
        path: '/org/gnome/Shell',
        interface: 'org.gnome.Shell',
      },
      octx,
    );
    const major = Number.parseInt(String(props.ShellVersion ?? ''), 10);
    return Number.isFinite(major) ? major : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GNOME Shell's AccessDenied, explained: it keeps the D-Bus error name (machine-readable) and
 * says why and what works instead.
 */
export class GnomeShellRefused extends DBusCallError {
  readonly hint: string;

  constructor(what: 'screen' | 'window', original: DBusCallError) {
    const member = what === 'screen' ? 'Screenshot' : 'ScreenshotWindow';
    super(
      original.dbusName,
      `GNOME Shell refuses ${member} to callers it has not allowlisted (GNOME Shell ${GNOME_SHELL_RESTRICTED}+ ` +
        `answers "${original.dbusMessage}"); only the XDG desktop portal can take screenshots on this desktop`,
    );
    this.hint =
      what === 'screen'
        ? 'Install xdg-desktop-portal and xdg-desktop-portal-gnome: capture_screen then goes through the portal ' +
          '(GNOME asks the human once to allow it).'
        : 'Use capture_screen: it captures the whole screen through the XDG desktop portal. The portal cannot ' +
          'capture a single window without asking the human to pick it (its interactive mode), so ' +
          'capture_active_window is not available on GNOME Shell 41 and later.';
  }
}

/** GNOME Shell's Screenshot/ScreenshotWindow, writing to a new path in `dir` that dbus-mcp chose. */
export async function gnomeCapture(
  gate: Gate,
  octx: OperationContext,
  what: 'screen' | 'window',
  dir: string,
): Promise<{ data: Buffer; path: string }> {
  const target = newShotPath(dir, what, 'png');
  const call =
    what === 'screen'
      ? { member: 'Screenshot', signature: 'bbs', args: [false, false, target] }
      : { member: 'ScreenshotWindow', signature: 'bbbs', args: [true, false, false, target] };
  const req = taskRequest('session', { ...GNOME_SHOT, member: call.member }, 'screenshot', call);
  const [ok, used] = await gate.run(req, octx, async (op) => {
    try {
      return (await op.call()).body as [boolean, string];
    } catch (e) {
      if (e instanceof DBusCallError && e.dbusName === ACCESS_DENIED) throw new GnomeShellRefused(what, e);
      throw e;
    }
  });
  if (!ok) throw new AppError('SERVICE_UNAVAILABLE', 'GNOME Shell did not take the screenshot');
  // Only the file we named is read: a shell that says it wrote elsewhere is not followed there.
  if (used && used !== target) {
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      `GNOME Shell wrote the screenshot to ${used}, not to ${target}: not read`,
    );
  }
  return { data: await adoptShot(target, MAX_IMAGE_BYTES), path: target };
}
