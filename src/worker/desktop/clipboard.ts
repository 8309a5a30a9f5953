import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import type { MethodTarget } from './common.js';
import { taskRequest, unavailable } from './common.js';

/** A D-Bus clipboard: where to read it and where to write it. */
export interface ClipboardProvider {
  id: 'klipper' | 'gpaste';
  destination: string;
  path: string;
  interface: string;
  read: { member: string; signature: string; args: unknown[]; pick: (body: unknown[]) => string };
  write: { member: string };
}

/** In order of preference. Klipper runs in every Plasma session; GPaste is GNOME's D-Bus clipboard manager. */
export const CLIPBOARD_PROVIDERS: readonly ClipboardProvider[] = [
  {
    id: 'klipper',
    destination: 'org.kde.klipper',
    path: '/klipper',
    interface: 'org.kde.klipper.klipper',
    read: { member: 'getClipboardContents', signature: '', args: [], pick: (b) => String(b[0] ?? '') },
    write: { member: 'setClipboardContents' },
  },
  {
    id: 'gpaste',
    destination: 'org.gnome.GPaste',
    path: '/org/gnome/GPaste',
    interface: 'org.gnome.GPaste2',
    // GetElementAtIndex(t) → (uuid, value); index 0 is the current clipboard.
    read: { member: 'GetElementAtIndex', signature: 't', args: [0], pick: (b) => String(b[1] ?? '') },
    write: { member: 'Add' },
  },
];

function target(p: ClipboardProvider, member: string): MethodTarget {
  return { destination: p.destination, path: p.path, interface: p.interface, member };
}

/** The first clipboard provider running on the session bus, or SERVICE_UNAVAILABLE. */
export async function findClipboard(gate: Gate, octx: OperationContext): Promise<ClipboardProvider> {
  for (const p of CLIPBOARD_PROVIDERS) {
    if (await gate.driver.nameHasOwner('session', p.destination, octx)) return p;
  }
  throw unavailable(
    'No clipboard service on this desktop',
    'dbus-mcp reaches the clipboard through KDE Klipper (org.kde.klipper) or GPaste (org.gnome.GPaste); ' +
      'start one of them, or read the clipboard another way (wl-paste, xclip).',
  );
}

/** The clipboard's current text, judged as clipboard_read. */
export function readClipboard(gate: Gate, p: ClipboardProvider, octx: OperationContext): Promise<string> {
  const { member, signature, args, pick } = p.read;
  const req = taskRequest('session', target(p, member), 'clipboard_read', { signature, args });
  return gate.run(req, octx, async (op) => pick((await op.call()).body));
}

/** Replaces the clipboard's text, judged as clipboard_write (the audit line never holds the text). */
export async function writeClipboard(
  gate: Gate,
  p: ClipboardProvider,
  text: string,
  octx: OperationContext,
): Promise<void> {
  const req = taskRequest('session', target(p, p.write.member), 'clipboard_write', {
    signature: 's',
    args: [text],
  });
  await gate.run(req, octx, (op) => op.call());
}
