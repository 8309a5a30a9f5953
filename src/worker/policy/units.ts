/**
 * Everything systemd: which units are protected, how unit names and unit object paths are read,
 * and why a unit-changing call is forbidden.
 */
import type { CuratedInterface } from './curated.js';
import { globToRegExp } from './glob.js';

/** Units whose change is forbidden (case-insensitive globs; a name without a suffix is a .service). */
export const PROTECTED_UNITS: readonly string[] = [
  'dbus.service',
  'dbus.socket',
  'dbus-broker.service',
  'messagebus.service',
  'systemd-logind.service',
  'systemd-journald*',
  'polkit.service',
  'polkitd.service',
  'ssh.service',
  'ssh.socket',
  'ssh@*',
  'sshd.service',
  'sshd.socket',
  'sshd@*',
  'sshd-*',
  'openssh*',
  'display-manager.service',
  'gdm.service',
  'gdm3.service',
  'sddm.service',
  'lightdm.service',
  'lxdm.service',
  'xdm.service',
  'slim.service',
  'greetd.service',
  'ly.service',
  'NetworkManager*',
  'network-manager.service',
  'systemd-networkd*',
  'systemd-resolved*',
  'user@*.service',
  'user-runtime-dir@*.service',
  'dbus-mcp*',
  // Power by another door: starting these targets/services powers off or reboots.
  'poweroff.target',
  'reboot.target',
  'halt.target',
  'kexec.target',
  'soft-reboot.target',
  'ctrl-alt-del.target',
  'shutdown.target',
  'final.target',
  'exit.target',
  'rescue.target',
  'emergency.target',
  'sleep.target',
  'suspend.target',
  'hibernate.target',
  'hybrid-sleep.target',
  'suspend-then-hibernate.target',
  'systemd-poweroff.service',
  'systemd-reboot.service',
  'systemd-halt.service',
  'systemd-kexec.service',
  'systemd-soft-reboot.service',
  'systemd-suspend.service',
  'systemd-hibernate.service',
  'systemd-hybrid-sleep.service',
  'systemd-suspend-then-hibernate.service',
];

const UNIT_SUFFIX = /\.(service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$/;

const PROTECTED_RE = PROTECTED_UNITS.map((g) => ({ glob: g, re: globToRegExp(g, 'i') }));

/** The protected-unit glob `unit` matches, or undefined. */
export function protectedUnit(unit: string): string | undefined {
  const name = UNIT_SUFFIX.test(unit) ? unit : `${unit}.service`;
  return PROTECTED_RE.find((p) => p.re.test(name))?.glob;
}

export function isUnitName(s: string): boolean {
  return UNIT_SUFFIX.test(s);
}

const UNIT_PATH_PREFIX = '/org/freedesktop/systemd1/unit/';

/** The unit a systemd object path names (`…/unit/dbus_2eservice` → `dbus.service`), or undefined. */
export function unitFromPath(path: string): string | undefined {
  if (!path.startsWith(UNIT_PATH_PREFIX)) return undefined;
  return path
    .slice(UNIT_PATH_PREFIX.length)
    .replace(/_([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The object path systemd gives a unit (`nginx.service` → `/org/freedesktop/systemd1/unit/nginx_2eservice`). */
export function unitObjectPath(unit: string): string {
  let out = '';
  for (const [i, ch] of [...unit].entries()) {
    const ok = /[A-Za-z]/.test(ch) || (i > 0 && /[0-9]/.test(ch));
    out += ok ? ch : [...Buffer.from(ch)].map((b) => `_${b.toString(16).padStart(2, '0')}`).join('');
  }
  return UNIT_PATH_PREFIX + (out || '_');
}

/** What the unit judgement reads of a classified call. */
export interface UnitCallInput {
  path: string;
  member: string;
  args?: unknown[];
  withoutArgs?: boolean;
}

function unitStrings(args: unknown[] | undefined): string[] {
  const out: string[] = [];
  for (const a of args ?? []) {
    if (typeof a === 'string') out.push(a);
    else if (Array.isArray(a)) for (const x of a) if (typeof x === 'string') out.push(x);
  }
  return out;
}

/** Forbidden reason when a unit-changing operation touches a protected unit (or cannot tell which). */
export function protectedUnitReason(entry: CuratedInterface, input: UnitCallInput): string | undefined {
  const strings = unitStrings(input.args);
  if (strings.includes('isolate')) return 'isolate stops every other unit, protected ones included';
  if (entry.unitArgs?.includes(input.member)) {
    const units = strings.filter((s) => isUnitName(s) || protectedUnit(s));
    if (input.args === undefined && input.withoutArgs) return undefined;
    if (input.args === undefined || strings.length === 0) return 'the unit name is needed to judge this call';
    for (const u of units) {
      const p = protectedUnit(u);
      if (p) return `change to protected unit ${u} (matches ${p})`;
    }
  }
  if (entry.unitPath) {
    const unit = unitFromPath(input.path);
    if (unit !== undefined) {
      if (!isUnitName(unit)) return `cannot tell which unit ${input.path} names`;
      const p = protectedUnit(unit);
      if (p) return `change to protected unit ${unit} (matches ${p})`;
    }
  }
  return undefined;
}
