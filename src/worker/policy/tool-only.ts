/**
 * Methods only a task tool may send (issue 12 §7). GNOME Shell's screenshot methods (and
 * Cinnamon's, which copies them; Gala serves GNOME's interface) write the image to a file name
 * the caller passes, as the user: sent by a generic tool, they would overwrite any file of the
 * user with a PNG (GNOME Shell's screencasts, with a video). capture_screen and
 * capture_active_window send the screenshot ones with a new path they chose inside SCREENSHOT_DIR
 * (their request declares its kind); a call_method of any of them is refused at every level. A
 * call that omits the interface is judged on the one introspection finds (resolve.ts refuses it
 * when none is found), so it meets this rule too.
 */

const SCREENSHOTS = ['Screenshot', 'ScreenshotWindow', 'ScreenshotArea'];

/** Interface → the members that write to a file name the caller gives, and which tools send them. */
const WRITES_WHERE_TOLD: Record<string, { members: string[]; tools?: string }> = {
  'org.gnome.Shell.Screenshot': { members: SCREENSHOTS, tools: 'capture_screen and capture_active_window' },
  'org.Cinnamon': { members: SCREENSHOTS },
  // A screen recording to the file template given: no tool sends it.
  'org.gnome.Shell.Screencast': { members: ['Screencast', 'ScreencastArea'] },
};

/** Why a generic tool may not send `op` (only the task tool that owns it may), or undefined. */
export function toolOnlyReason(op: { interface: string; member: string }): string | undefined {
  const entry = Object.hasOwn(WRITES_WHERE_TOLD, op.interface) ? WRITES_WHERE_TOLD[op.interface] : undefined;
  if (!entry?.members.includes(op.member)) return undefined;
  const who = entry.tools
    ? `only ${entry.tools} send it, with a path they choose inside SCREENSHOT_DIR`
    : 'no dbus-mcp tool sends it';
  return `${op.interface}.${op.member} writes to whatever file the caller names: ${who}`;
}
