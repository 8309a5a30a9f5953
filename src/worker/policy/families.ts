/**
 * The floor by family: whole kinds of interfaces and services whose calls are forbidden whatever
 * the member is called, and the few calls judged on an argument (which action, which options,
 * which settings channel). Judged after the standard interfaces and before curated knowledge, so
 * a generic curated entry (`org.gtk.Actions.Activate` is a call) never opens a family (on a
 * terminal it runs a program).
 */
import { DRIVER } from '../dbus/well-known.js';
import type { CuratedInterface } from './curated.js';
import { readShape, splitWords } from './member-names.js';

/** What the family floor decided: forbidden with a reason, or nothing to say. */
export interface FamilyInput {
  names: string[];
  interface: string;
  member: string;
  access: 'call' | 'get' | 'set' | 'getall';
  args?: unknown[];
  /** The typed arguments that will be sent, when prepared. */
  body?: unknown[];
  withoutArgs?: boolean;
}

/** Bus names of terminal emulators (prefixes; `org.kde.konsole-1234`, `org.xfce.Terminal5` included). */
const TERMINAL_NAMES = [
  'org.gnome.terminal',
  'org.gnome.console',
  'org.gnome.ptyxis',
  'app.devsuite.ptyxis',
  'org.gnome.prompt',
  'org.gnome.kgx',
  'com.gexperts.tilix',
  'net.tenshu.terminator',
  'org.guake',
  'org.xfce.terminal',
  'org.mate.terminal',
  'org.lxqt.qterminal',
  'org.kde.konsole',
  'org.kde.yakuake',
  'io.elementary.terminal',
  'net.kovidgoyal.kitty',
  'com.mitchellh.ghostty',
  'org.wezfurlong.wezterm',
  'com.raggesilver.blackbox',
  'com.github.amezin.ddterm',
  'com.deepin.terminal',
  'org.deepin.terminal',
  'org.enlightenment.terminology',
  'org.codeberg.dnkl.foot',
  'io.alacritty',
  'com.github.lainsce.tilda',
  'org.cool-retro-term',
];

/** `prefix` followed by nothing, a dot, a dash or a digit: `org.xfce.Terminal5`, `org.kde.konsole-42`. */
function hasPrefix(name: string, prefix: string): boolean {
  const lower = name.toLowerCase();
  if (!lower.startsWith(prefix)) return false;
  const next = lower.charAt(prefix.length);
  return next === '' || next === '.' || next === '-' || /[0-9]/.test(next);
}

export function isTerminalService(names: readonly string[]): string | undefined {
  return names.find((n) => TERMINAL_NAMES.some((p) => hasPrefix(n, p)));
}

const INPUT_INTERFACE =
  /remotedesktop|inputcapture|fakeinput|virtualinput|inputinjection|^org\.a11y\.atspi\.(devicecontroller|deviceeventcontroller|action|editabletext)$/;
const AGENT_INTERFACE =
  /(^|\.)(secretagent\d*|authenticationagent\d*|agent\d*|prompter\d*)$|prompter|secretprompter/;
const SESSION_MANAGER_INTERFACE =
  /session\.?manager|unity\.session|ksmserver|endsession|logout|shutdown|powerdialog|\.leave$|^org\.[a-z]+\.session$/;
/** Where a daemon registers the agents it trusts: NetworkManager, BlueZ (and obex), polkit-like brokers. */
const AGENT_MANAGER_INTERFACE = /agentmanager\d*$/;
/** File managers' copy/move/rename/create: they write any file in the home (autostart, shell profiles). */
const FILE_OPERATIONS_INTERFACE = /fileoperations\d*$/;
const FILE_WRITING_WORDS = new Set(
  'copy move rename create link paste extract compress duplicate restore redo'.split(' '),
);
/** Package and firmware daemons by bus name: on an interface no entry knows, only reads pass. */
const PACKAGE_SERVICES = [
  'org.freedesktop.packagekit',
  'org.debian.apt',
  'org.aptkit',
  'com.ubuntu.softwareproperties',
  'org.freedesktop.fwupd',
  'org.rpm.dnf',
  'org.freedesktop.flatpak',
  'io.snapcraft',
];
/** Software centres: their actions install, remove and update software; only these open windows. */
const SOFTWARE_CENTRES = [
  'org.gnome.software',
  'org.kde.discover',
  'io.elementary.appcenter',
  'io.snapcraft.store',
  'com.ubuntu.softwarecenter',
  'org.mate.software',
  'com.linuxmint.mintinstall',
  'io.github.kolunmi.bazaar',
];
const HARMLESS_SOFTWARE_ACTIONS = new Set([
  'search',
  'set-mode',
  'details',
  'details-url',
  'about',
  'quit',
  'prefs',
]);
/** Services whose objects hold secret properties: GetManagedObjects would return them all. */
const SECRET_PROPERTY_SERVICES = ['org.gnome.OnlineAccounts'];

/** Words in a GApplication action name that mean running something (`app.command` of Tilix). */
const COMMAND_ACTION_WORDS = new Set([
  'command',
  'cmd',
  'cmdline',
  'commandline',
  'exec',
  'execute',
  'run',
  'spawn',
  'script',
  'shell',
  'eval',
  'terminal',
  'launch',
  // gnome-software's app.install and friends: package management through an action.
  'install',
  'uninstall',
  'upgrade',
]);
/** Words in an action name that send a file to another device or service (GSConnect's shareFile). */
const SHARING_ACTION_WORDS = new Set(['share', 'upload', 'sendfile', 'exfiltrate']);
/** xfconf channels whose properties are commands (keyboard shortcuts, autostart, panel launchers, autorun). */
const XFCONF_COMMAND_CHANNELS = new Set([
  'xfce4-keyboard-shortcuts',
  'xfce4-session',
  'xfce4-panel',
  'thunar-volman',
  'xfce4-power-manager',
]);

const arg = (input: FamilyInput, i: number): unknown => input.body?.[i] ?? input.args?.[i];

/** The plain JS value behind a JSON variant form `{signature, value}` or a dbus-next Variant. */
function unwrap(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'signature' in v && 'value' in v) {
    return unwrap((v as { value: unknown }).value);
  }
  return v;
}

/** polkit's CheckAuthorization asks the human for an administrator password when flags has bit 0. */
function checkAuthorizationFloor(input: FamilyInput): string | undefined {
  if (input.withoutArgs) return undefined;
  const flags = unwrap(arg(input, 3));
  const asks =
    'authorization change (CheckAuthorization with AllowUserInteraction asks the human to authenticate for another process)';
  if (typeof flags === 'number') return (flags & 1) === 1 ? asks : undefined;
  if (typeof flags === 'bigint') return (flags & 1n) === 1n ? asks : undefined;
  return 'the flags (args[3]) are needed to judge this call';
}

function argumentFloor(input: FamilyInput, iface: string): string | undefined {
  const { member } = input;
  if (iface === 'org.freedesktop.policykit1.authority' && member === 'CheckAuthorization') {
    return checkAuthorizationFloor(input);
  }
  const action =
    (iface === 'org.freedesktop.application' && member === 'ActivateAction') ||
    (iface === 'org.gtk.actions' && (member === 'Activate' || member === 'SetState'));
  if (action) {
    if (input.withoutArgs) return undefined;
    const name = unwrap(arg(input, 0));
    if (typeof name !== 'string') return 'the action name (args[0]) is needed to judge this call';
    const centre = input.names.find((n) => SOFTWARE_CENTRES.some((p) => hasPrefix(n, p)));
    if (centre && !HARMLESS_SOFTWARE_ACTIONS.has(name.replace(/^(app|win)\./, ''))) {
      return `package management (${centre} is a software centre: action ${name} may install or remove software)`;
    }
    const words = splitWords(name.replace(/^(app|win)\./, ''));
    if (words.some((w) => SHARING_ACTION_WORDS.has(w))) {
      return `secret retrieval by exfiltration (action ${name} sends a file away)`;
    }
    const hit = words.find((w) => COMMAND_ACTION_WORDS.has(w));
    if (hit) return `arbitrary code execution or package management (action ${name}: ${hit})`;
    return undefined;
  }
  if (iface === 'org.freedesktop.portal.background' && member === 'RequestBackground') {
    if (input.withoutArgs) return undefined;
    const options = unwrap(arg(input, 1));
    if (options === undefined) return undefined;
    if (options === null || typeof options !== 'object')
      return 'the options (args[1]) are needed to judge this call';
    const keys = Object.keys(options).map((k) => k.toLowerCase());
    if (keys.includes('commandline') || keys.includes('autostart')) {
      return 'arbitrary code execution (autostart with a command line runs it at every login)';
    }
    return undefined;
  }
  if (iface === 'org.xfce.xfconf' && (member === 'SetProperty' || member === 'ResetProperty')) {
    if (input.withoutArgs) return undefined;
    const channel = unwrap(arg(input, 0));
    const property = unwrap(arg(input, 1));
    if (typeof channel !== 'string' || typeof property !== 'string') {
      return 'the channel and property (args[0], args[1]) are needed to judge this call';
    }
    const words = splitWords(property);
    if (
      XFCONF_COMMAND_CHANNELS.has(channel.toLowerCase()) ||
      words.some((w) => COMMAND_ACTION_WORDS.has(w))
    ) {
      return `arbitrary code execution (xfconf ${channel} ${property} holds commands the desktop runs)`;
    }
  }
  return undefined;
}

/**
 * The family finding for an operation, or undefined: portal backends (refused whatever is
 * asked), the bus driver (curated completely), input injection and input capture, agents and
 * prompters (only the daemon that registered one calls it, and it answers with secrets),
 * terminal emulators by bus name, session managers no entry names, and the argument-judged
 * calls (command-like GApplication actions, autostart command lines, xfconf command channels).
 * `entry` is the curated entry of the interface, if any.
 */
export function familyFloor(input: FamilyInput, entry: CuratedInterface | undefined): string | undefined {
  const iface = input.interface.toLowerCase();
  if (iface.startsWith('org.freedesktop.impl.portal.')) {
    return 'portal backend: only the portal frontend (xdg-desktop-portal) may call it';
  }
  if (
    input.member === 'GetManagedObjects' &&
    iface === 'org.freedesktop.dbus.objectmanager' &&
    input.names.some((n) => SECRET_PROPERTY_SERVICES.includes(n))
  ) {
    return 'secret retrieval (the managed objects carry every property, client secrets included)';
  }
  const reading = input.access === 'get' || input.access === 'getall';
  if (input.names.includes(DRIVER.destination) && !reading) {
    const listed =
      entry && Object.hasOwn(entry.methods, input.member) ? entry.methods[input.member] : undefined;
    if (input.access === 'set' || listed === undefined || listed === 'forbidden') {
      return 'bus administration (the bus driver allows reads and match rules only)';
    }
  }
  if (reading) return undefined;
  if (INPUT_INTERFACE.test(iface)) return 'input injection (types, clicks or captures input as the user)';
  if (input.access === 'set') return undefined;
  if (AGENT_INTERFACE.test(iface)) {
    return 'secret retrieval (an agent or prompter answers its daemon with secrets; only that daemon calls it)';
  }
  const asks = readShape(input.member).reads;
  if (AGENT_MANAGER_INTERFACE.test(iface) && !asks) {
    return 'impersonation (registering as an agent the daemon trusts: it is handed secrets and pairing requests)';
  }
  if (
    FILE_OPERATIONS_INTERFACE.test(iface) &&
    splitWords(input.member).some((w) => FILE_WRITING_WORDS.has(w))
  ) {
    return 'arbitrary code execution (a file manager writes any file in the home: autostart entries, shell profiles)';
  }
  const daemon = input.names.find((n) => PACKAGE_SERVICES.some((p) => hasPrefix(n, p)));
  if (daemon && !entry && !asks) {
    return `package management (${daemon} installs software or firmware; an interface no entry knows is refused)`;
  }
  const terminal = isTerminalService(input.names);
  if (terminal && !entry?.terminal && !readShape(input.member).reads) {
    return `arbitrary code execution (${terminal} is a terminal emulator: what it is sent runs)`;
  }
  if (!entry && SESSION_MANAGER_INTERFACE.test(iface) && !readShape(input.member).reads) {
    return 'power operation (a session manager: what it does beyond reading ends the session)';
  }
  return argumentFloor(input, iface);
}
