import { readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * Which xdg-desktop-portal backend serves an interface on this desktop, read the way the portal
 * frontend (1.16, Debian 12) reads it: the `.portal` files in XDG_DESKTOP_PORTAL_DIR or
 * /usr/share/xdg-desktop-portal/portals, each naming its D-Bus name, the `impl` interfaces it
 * implements and the desktops it is for (`UseIn=`, matched against XDG_CURRENT_DESKTOP); failing
 * a match, gtk.portal, then any that implements it. dbus-mcp uses the answer to start the
 * backend before the frontend (see screenshot-portal.ts) and to name the package a failing
 * screenshot needs. The frontend's own environment may differ from the worker's: this is a
 * well-founded guess, never a decision the policy relies on.
 */

export const SHIPPED_PORTALS_DIR = '/usr/share/xdg-desktop-portal/portals';

export interface PortalBackend {
  /** The `.portal` file's name without the suffix: `wlr`, `gnome`, `kde`, `gtk`, `gnome-shell`. */
  id: string;
  dbusName: string;
  interfaces: string[];
  useIn: string[];
}

/** The Debian/upstream package that ships each backend (the `.portal` file's name says which). */
const PACKAGES: Readonly<Record<string, string>> = {
  'gnome-shell': 'gnome-shell',
  lxqt: 'xdg-desktop-portal-lxqt',
  xapp: 'xdg-desktop-portal-xapp',
};

/** The package that installs backend `id` (`wlr` → xdg-desktop-portal-wlr). */
export function backendPackage(id: string): string {
  return PACKAGES[id] ?? `xdg-desktop-portal-${id}`;
}

/** The backend package a desktop needs for screenshots, when nothing is installed to read. */
export function expectedScreenshotPackage(desktops: readonly string[]): string | undefined {
  for (const d of desktops) {
    if (d === 'gnome' || d === 'unity' || d === 'budgie') return 'xdg-desktop-portal-gnome';
    if (d === 'kde') return 'xdg-desktop-portal-kde';
    if (WLROOTS.has(d)) return 'xdg-desktop-portal-wlr';
    if (d === 'lxqt') return 'xdg-desktop-portal-lxqt';
    if (d === 'x-cinnamon' || d === 'mate' || d === 'xfce') return 'xdg-desktop-portal-xapp';
  }
  return undefined;
}

const WLROOTS = new Set(['sway', 'wlroots', 'wayfire', 'river', 'hyprland', 'phosh', 'labwc', 'niri']);

/** XDG_CURRENT_DESKTOP as the portal reads it: colon-separated, compared without case. */
export function currentDesktops(env: NodeJS.ProcessEnv): string[] {
  return (env.XDG_CURRENT_DESKTOP ?? '')
    .split(':')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== '');
}

/** `key=a;b;c;` of the `[portal]` group. */
function listOf(text: string, key: string): string[] {
  const line = text.split('\n').find((l) => l.trim().startsWith(`${key}=`));
  if (!line) return [];
  return line
    .slice(line.indexOf('=') + 1)
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Every `.portal` file of the directory the frontend reads, sorted by name as the frontend sorts them. */
export async function readPortalBackends(env: NodeJS.ProcessEnv): Promise<PortalBackend[]> {
  const dir = env.XDG_DESKTOP_PORTAL_DIR || SHIPPED_PORTALS_DIR;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.portal')).sort();
  } catch {
    return [];
  }
  const backends: PortalBackend[] = [];
  for (const name of names) {
    try {
      const text = await readFile(join(dir, name), 'utf8');
      const [dbusName] = listOf(text, 'DBusName');
      if (!dbusName) continue;
      backends.push({
        id: basename(name, '.portal'),
        dbusName,
        interfaces: listOf(text, 'Interfaces'),
        useIn: listOf(text, 'UseIn').map((d) => d.toLowerCase()),
      });
    } catch {
      // An unreadable file is skipped, as the frontend skips it.
    }
  }
  return backends;
}

/**
 * The backend the frontend picks for `iface` (an `org.freedesktop.impl.portal.*` name): the first
 * one for the first current desktop that lists it in UseIn, else gtk, else any.
 */
export function backendFor(
  backends: readonly PortalBackend[],
  desktops: readonly string[],
  iface: string,
): PortalBackend | undefined {
  const offering = backends.filter((b) => b.interfaces.includes(iface));
  for (const d of desktops) {
    const match = offering.find((b) => b.useIn.includes(d));
    if (match) return match;
  }
  return offering.find((b) => b.id === 'gtk') ?? offering[0];
}

export const IMPL_SCREENSHOT = 'org.freedesktop.impl.portal.Screenshot';
export const IMPL_ACCESS = 'org.freedesktop.impl.portal.Access';
