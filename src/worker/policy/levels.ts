import type { SafetyLevel } from '../../shared/config.js';
import { SAFETY_LEVELS } from '../../shared/config.js';

export type { SafetyLevel };
import type { BusKind } from '../dbus/types.js';

export type { BusKind };

/** What an operation does, as the policy judges it (never as the caller spells it). */
export type OperationKind =
  | 'read'
  | 'notify'
  | 'media'
  | 'clipboard_read'
  | 'clipboard_write'
  | 'screenshot'
  | 'desktop_action'
  | 'property_write'
  | 'call'
  | 'system_change'
  | 'forbidden';

export const OPERATION_KINDS: readonly OperationKind[] = [
  'read',
  'notify',
  'media',
  'clipboard_read',
  'clipboard_write',
  'screenshot',
  'desktop_action',
  'property_write',
  'call',
  'system_change',
  'forbidden',
];

export function isOperationKind(s: string): s is OperationKind {
  return (OPERATION_KINDS as readonly string[]).includes(s);
}

/** One line per kind, for show_help, explain and docs. */
export const KIND_DESCRIPTIONS: Record<OperationKind, string> = {
  read: 'list, introspect, read properties, call methods that only read',
  notify: 'desktop notifications',
  media: 'media player control (MPRIS play/pause/next/seek/volume)',
  clipboard_read: 'read the clipboard',
  clipboard_write: 'write the clipboard',
  screenshot: 'screenshots and screen casts',
  desktop_action: 'open files/URIs, focus windows, other curated productivity calls',
  property_write: 'write a property',
  call: 'any other method call (may change state)',
  system_change: 'changes to the system: units, network, sessions, disks',
  forbidden:
    'forbidden at every level: power, code execution, packages, secrets, bus administration, accounts, disks, protected units',
};

const HIGH_SESSION: OperationKind[] = ['read', 'notify', 'media'];
const MEDIUM_SESSION: OperationKind[] = [
  ...HIGH_SESSION,
  'clipboard_read',
  'clipboard_write',
  'screenshot',
  'desktop_action',
  'property_write',
];
const LOW_SESSION: OperationKind[] = [...MEDIUM_SESSION, 'call', 'system_change'];

/**
 * What each level allows without any operator rule. The system bus is read-only at every level;
 * only an operator `allow`/`ask` rule opens more there. `forbidden` is in no set and no rule opens it.
 */
export const LEVEL_ALLOWS: Record<SafetyLevel, Record<BusKind, ReadonlySet<OperationKind>>> = {
  high: { session: new Set(HIGH_SESSION), system: new Set(['read']) },
  medium: { session: new Set(MEDIUM_SESSION), system: new Set(['read']) },
  low: { session: new Set(LOW_SESSION), system: new Set(['read']) },
};

export function levelAllows(level: SafetyLevel, bus: BusKind, kind: OperationKind): boolean {
  return LEVEL_ALLOWS[level][bus].has(kind);
}

/** The most restrictive level that allows `kind` on `bus`, or undefined when no level does. */
export function lowestLevelAllowing(bus: BusKind, kind: OperationKind): SafetyLevel | undefined {
  return SAFETY_LEVELS.find((l) => levelAllows(l, bus, kind));
}

/** Short summaries of the levels, strictest first. */
export const LEVEL_SUMMARIES: Record<SafetyLevel, string> = {
  high: 'read everything on both buses (list, introspect, properties, read-only methods); notifications; media playback control.',
  medium:
    'high + clipboard read/write, screenshots, opening files/URIs, window focus, property writes and curated productivity calls on the session bus. System bus read-only.',
  low: 'medium + any session-bus method call or property write that is not forbidden. System bus read-only except where an operator rule allows.',
};

export const FORBIDDEN_SUMMARY =
  'Forbidden at every level, no configuration can allow it, judged by name pattern and by family on any interface: ' +
  'power and ending the session (PowerOff, Reboot, Suspend, Hibernate, KExec, Logout, Shutdown in any spelling; logind, systemd, UPower, ConsoleKit and the session managers of GNOME, KDE, XFCE, MATE, LXQt, Cinnamon, Budgie; CanPowerOff and friends stay reads), ' +
  'arbitrary code execution (systemd StartTransientUnit/SetEnvironment, Flatpak HostCommand/Spawn, desktop scripting such as GNOME Shell Eval and Plasma evaluateScript, terminal emulators, GApplication command lines, launchers), ' +
  'input injection (remote desktop, fake input, global shortcuts, accessibility actions), portal backends (org.freedesktop.impl.portal.*), ' +
  'package management, secret retrieval (Secret Service, KWallet, GNOME Online Accounts, NetworkManager and other agents, any name or property that reads a password, token or key), ' +
  'bus administration (BecomeMonitor, eavesdropping match rules, RequestName, UpdateActivationEnvironment), accounts (SetPassword, CreateUser, DeleteUser), disks (UDisks2 Format/Delete), ' +
  'and changes to protected units (dbus, systemd-logind, systemd-journald, polkit, ssh/sshd, display managers, NetworkManager, systemd-networkd/resolved, user@*.service, dbus-mcp units, power and rescue units and the services behind them) or to any target, slice, scope, mount, automount, swap or device, judged by every name the unit goes by and what its change sets off.';

/**
 * Text for show_help / explain_policy: every level with what it allows, the active one marked,
 * then the forbidden floor and how operator rules refine a level.
 */
export function describeLevels(level: SafetyLevel): string {
  const lines = SAFETY_LEVELS.map(
    (l) => `${l === level ? '→' : ' '} ${l}${l === level ? ' (active)' : ''}: ${LEVEL_SUMMARIES[l]}`,
  );
  return [
    `Safety level: ${level}.`,
    ...lines,
    FORBIDDEN_SUMMARY,
    'Operator rule files (POLICY_DIRS, *.rules) refine the level: deny wins, allow opens what the level closes, ask needs a human confirmation; nothing opens the forbidden floor. Unknown mutating calls are refused at high and medium.',
  ].join('\n');
}
