import type { BusConnection } from '../dbus/connection.js';
import type { ToolDeps } from './deps.js';
import { hasOwner, unavailable } from './desktop-common.js';
import type { OperationContext } from './operations.js';
import { queuedCall } from './operations.js';

/** A D-Bus clipboard: where to read it and where to write it. */
export interface ClipboardProvider {
  id: 'klipper' | 'gpaste';
  destination: string;
  path: string;
  interface: string;
  read: { member: string; signature: string; body: unknown[]; pick: (body: unknown[]) => string };
  write: { member: string };
}

/** In order of preference. Klipper runs in every Plasma session; GPaste is GNOME's D-Bus clipboard manager. */
export const CLIPBOARD_PROVIDERS: readonly ClipboardProvider[] = [
  {
    id: 'klipper',
    destination: 'org.kde.klipper',
    path: '/klipper',
    interface: 'org.kde.klipper.klipper',
    read: { member: 'getClipboardContents', signature: '', body: [], pick: (b) => String(b[0] ?? '') },
    write: { member: 'setClipboardContents' },
  },
  {
    id: 'gpaste',
    destination: 'org.gnome.GPaste',
    path: '/org/gnome/GPaste',
    interface: 'org.gnome.GPaste2',
    // GetElementAtIndex(t) → (uuid, value); index 0 is the current clipboard.
    read: { member: 'GetElementAtIndex', signature: 't', body: [0n], pick: (b) => String(b[1] ?? '') },
    write: { member: 'Add' },
  },
];

/** The first clipboard provider running on the session bus, or SERVICE_UNAVAILABLE. */
export async function findClipboard(
  deps: ToolDeps,
  conn: BusConnection,
  octx: OperationContext,
): Promise<ClipboardProvider> {
  for (const p of CLIPBOARD_PROVIDERS) {
    if (await hasOwner(deps, conn, p.destination, octx)) return p;
  }
  throw unavailable(
    'No clipboard service on this desktop',
    'dbus-mcp reaches the clipboard through KDE Klipper (org.kde.klipper) or GPaste (org.gnome.GPaste); ' +
      'start one of them, or read the clipboard another way (wl-paste, xclip).',
  );
}

export async function readClipboard(
  deps: ToolDeps,
  conn: BusConnection,
  p: ClipboardProvider,
  octx: OperationContext,
): Promise<string> {
  const reply = await queuedCall(
    deps,
    conn,
    { destination: p.destination, path: p.path, interface: p.interface, ...p.read, noAutoStart: true },
    octx,
  );
  return p.read.pick(reply.body);
}
