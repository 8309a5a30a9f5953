import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import { serviceState } from './activation.js';
import { GNOME_SHELL_RESTRICTED, GNOME_SHOT, gnomeShellMajor } from './screenshot-gnome.js';
import { PORTAL } from './screenshot-portal.js';

/**
 * The one provider choice of the screenshot tools, which `discover` reports too:
 *
 * - capture_screen: the XDG portal when it runs or is activatable (it is started then), else
 *   GNOME Shell's own API (refused by GNOME Shell 41+ to callers it has not allowlisted: the error
 *   says so), else KWin is explained (it hands images over a file descriptor), else nothing;
 * - capture_active_window: GNOME Shell's ScreenshotWindow (older GNOME Shell, or an allowlisted
 *   caller), else nothing: the portal has no non-interactive window capture.
 */

export interface ScreenshotSurvey {
  portal: 'running' | 'activatable' | 'absent';
  gnomeShell: boolean;
  kwin: boolean;
}

export type ScreenshotRoute = 'portal' | 'gnome-shell' | 'kwin' | 'none';

/** Which screenshot services this session has (driver reads only: nothing starts). */
export async function surveyScreenshots(gate: Gate, octx: OperationContext): Promise<ScreenshotSurvey> {
  const [portal, gnomeShell, kwin] = await Promise.all([
    serviceState(gate, octx, PORTAL),
    gate.driver.nameHasOwner('session', GNOME_SHOT.destination, octx),
    gate.driver.nameHasOwner('session', 'org.kde.KWin', octx),
  ]);
  return { portal, gnomeShell, kwin };
}

/** The route a capture of `what` takes on this survey. */
export function routeFor(s: ScreenshotSurvey, what: 'screen' | 'window'): ScreenshotRoute {
  if (what === 'screen' && s.portal !== 'absent') return 'portal';
  if (s.gnomeShell) return 'gnome-shell';
  // The portal is there but cannot capture one window: say that, not KWin's story.
  if (what === 'window' && s.portal !== 'absent') return 'none';
  if (s.kwin) return 'kwin';
  return 'none';
}

export interface ScreenshotService {
  name: string;
  bus: 'session';
  running: boolean;
}

/**
 * What discover lists under "screenshots": the services the tools would use, and a note on what
 * each tool can do here. GNOME Shell's API is listed only when it would accept us (before 41).
 */
export async function screenshotServices(
  gate: Gate,
  octx: OperationContext,
): Promise<{ services: ScreenshotService[]; note: string }> {
  const s = await surveyScreenshots(gate, octx);
  const services: ScreenshotService[] = [];
  const notes: string[] = [];
  if (s.portal !== 'absent') {
    services.push({ name: PORTAL, bus: 'session', running: s.portal === 'running' });
    notes.push(
      `capture_screen goes through the XDG portal${s.portal === 'activatable' ? ' (started on first use)' : ''}; ` +
        'the portal captures the whole screen only',
    );
  }
  if (s.gnomeShell) {
    const major = await gnomeShellMajor(gate, octx);
    if (major !== undefined && major >= GNOME_SHELL_RESTRICTED) {
      notes.push(
        `GNOME Shell ${major} refuses its own screenshot API (org.gnome.Shell.Screenshot) to callers it has not ` +
          'allowlisted: capture_active_window is not available',
      );
    } else {
      services.push({ name: GNOME_SHOT.destination, bus: 'session', running: true });
      notes.push('capture_active_window (and capture_screen without a portal) use GNOME Shell');
    }
  } else if (s.portal !== 'absent') {
    notes.push('capture_active_window needs GNOME Shell (before 41)');
  }
  if (s.kwin && s.portal === 'absent') {
    notes.push(
      'KWin hands screenshots over a file descriptor, which dbus-mcp cannot receive: install xdg-desktop-portal-kde',
    );
  }
  return { services, note: notes.join('; ') };
}
