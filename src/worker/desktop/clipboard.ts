import { DBusCallError } from '../../shared/errors.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import { startService } from './activation.js';
import type { MethodTarget } from './common.js';
import { taskRequest, unavailable } from './common.js';
import { currentDesktops } from './portal-config.js';

/** A D-Bus clipboard manager: where it lives and how it is read and written. */
export interface ClipboardProvider {
  id: 'klipper' | 'gpaste';
  destination: string;
  path: string;
  interface: string;
  /** The desktops that ship it (XDG_CURRENT_DESKTOP): which one to start first when both are installed. */
  desktops: readonly string[];
  /** The clipboard's text; '' when it is empty. */
  read(gate: Gate, octx: OperationContext): Promise<string>;
  write: { member: string };
}

type Kind = 'clipboard_read' | 'clipboard_write';

function target(p: { destination: string; path: string; interface: string }, member: string): MethodTarget {
  return { destination: p.destination, path: p.path, interface: p.interface, member };
}

/** One call to the provider, judged as `kind`; resolves with the reply's body. */
function ask(
  gate: Gate,
  octx: OperationContext,
  p: { destination: string; path: string; interface: string },
  member: string,
  call: { signature?: string; args?: unknown[] } = {},
  kind: Kind = 'clipboard_read',
): Promise<unknown[]> {
  const req = taskRequest('session', target(p, member), kind, call);
  return gate.run(req, octx, async (op) => (await op.call()).body);
}

const KLIPPER = { destination: 'org.kde.klipper', path: '/klipper', interface: 'org.kde.klipper.klipper' };
const GPASTE = { destination: 'org.gnome.GPaste', path: '/org/gnome/GPaste', interface: 'org.gnome.GPaste2' };
const GPASTE_ERROR = 'org.gnome.GPaste.Error';

/** In order of preference when both run. Klipper runs in every Plasma session; GPaste is GNOME's. */
export const CLIPBOARD_PROVIDERS: readonly ClipboardProvider[] = [
  {
    id: 'klipper',
    ...KLIPPER,
    desktops: ['kde'],
    // Klipper answers '' when it holds nothing.
    read: async (gate, octx) => String((await ask(gate, octx, KLIPPER, 'getClipboardContents'))[0] ?? ''),
    write: { member: 'setClipboardContents' },
  },
  {
    id: 'gpaste',
    ...GPASTE,
    desktops: ['gnome', 'unity', 'budgie', 'x-cinnamon', 'mate', 'xfce'],
    read: async (gate, octx) => {
      try {
        // GetElementAtIndex(t) → (uuid, value); index 0 is the current clipboard.
        const body = await ask(gate, octx, GPASTE, 'GetElementAtIndex', { signature: 't', args: [0] });
        return String(body[1] ?? '');
      } catch (e) {
        // An empty history answers "invalid index received": ask the history's size to be sure.
        if (!(e instanceof DBusCallError) || e.dbusName !== GPASTE_ERROR) throw e;
        const [name] = await ask(gate, octx, GPASTE, 'GetHistoryName');
        const [size] = await ask(gate, octx, GPASTE, 'GetHistorySize', {
          signature: 's',
          args: [String(name)],
        });
        if (String(size) === '0') return '';
        throw e;
      }
    },
    write: { member: 'Add' },
  },
];

/** The provider that serves this call and the services the call started to get one. */
export interface FoundClipboard {
  provider: ClipboardProvider;
  started: string[];
}

/**
 * The clipboard provider for a call of `kind`: the first one running on the session bus; else the
 * first installed one (activatable; this desktop's own first), started through D-Bus activation
 * judged as `kind` (at high that is refused and nothing starts); else SERVICE_UNAVAILABLE.
 */
export async function findClipboard(
  gate: Gate,
  octx: OperationContext,
  env: NodeJS.ProcessEnv,
  kind: Kind,
): Promise<FoundClipboard> {
  for (const provider of CLIPBOARD_PROVIDERS) {
    if (await gate.driver.nameHasOwner('session', provider.destination, octx))
      return { provider, started: [] };
  }
  const activatable = new Set(await gate.driver.listActivatableNames('session', octx));
  const desktops = currentDesktops(env);
  const own = (p: ClipboardProvider) => (p.desktops.some((d) => desktops.includes(d)) ? 0 : 1);
  const installed = CLIPBOARD_PROVIDERS.filter((p) => activatable.has(p.destination)).sort(
    (a, b) => own(a) - own(b),
  );
  const provider = installed[0];
  if (provider) {
    const state = await startService(gate, octx, provider.destination, kind);
    return { provider, started: state === 'started' ? [provider.destination] : [] };
  }
  throw unavailable(
    'No clipboard service on this desktop',
    'dbus-mcp reaches the clipboard through KDE Klipper (org.kde.klipper) or GPaste (org.gnome.GPaste); ' +
      'neither is running or installed (D-Bus activatable). Install or start one of them, or read the clipboard ' +
      'another way (wl-paste, xclip).',
  );
}

/** Replaces the clipboard's text, judged as clipboard_write (the audit line never holds the text). */
export async function writeClipboard(
  gate: Gate,
  p: ClipboardProvider,
  text: string,
  octx: OperationContext,
): Promise<void> {
  await ask(gate, octx, p, p.write.member, { signature: 's', args: [text] }, 'clipboard_write');
}

/** Characters as the docs count them: Unicode code points (not UTF-16 units). */
export function characters(text: string): number {
  return [...text].length;
}
