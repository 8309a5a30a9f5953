/**
 * Methods only a task tool may send (issue 12 §7). GNOME Shell's screenshot methods (and
 * Cinnamon's, which copies them; Gala serves GNOME's interface) write the image to a
 * file name the caller passes, as the user: sent by a generic tool, they would overwrite any file
 * of the user with a PNG. capture_screen and capture_active_window send them with a new path they
 * chose inside SCREENSHOT_DIR (their request declares its kind); a call_method of them is refused
 * at every level. A call that omits the interface is judged on the one introspection finds
 * (resolve.ts refuses it when none is found), so it meets this rule too.
 */

const WRITES_WHERE_TOLD = new Set(['Screenshot', 'ScreenshotWindow', 'ScreenshotArea']);
const INTERFACES = new Set(['org.gnome.Shell.Screenshot', 'org.Cinnamon']);

/** Why a generic tool may not send `op` (only the task tool that owns it may), or undefined. */
export function toolOnlyReason(op: { interface: string; member: string }): string | undefined {
  if (!INTERFACES.has(op.interface) || !WRITES_WHERE_TOLD.has(op.member)) return undefined;
  return (
    `${op.interface}.${op.member} writes the screenshot to whatever file the caller names: only capture_screen and ` +
    'capture_active_window send it, with a path they choose inside SCREENSHOT_DIR'
  );
}
