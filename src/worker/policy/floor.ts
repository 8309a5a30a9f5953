/**
 * The forbidden floor that does not depend on which interface is called: member names that mean
 * power, code execution, package management, secret retrieval, bus administration or account
 * changes wherever they appear, and the protected systemd units.
 */

/** Folds spelling variants together: `PowerOff`, `poweroff`, `Power_Off`, `PowerOff2` → `poweroff`. */
export function normalizeMember(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

/** Why each globally forbidden (normalized) member name is forbidden. */
const GLOBAL_FORBIDDEN: Record<string, string> = {};
function add(reason: string, names: string): void {
  for (const n of names.split(/\s+/)) if (n) GLOBAL_FORBIDDEN[normalizeMember(n)] = reason;
}
add(
  'power operation',
  'PowerOff Reboot Halt Suspend Hibernate HybridSleep SuspendThenHibernate KExec SoftReboot ScheduleShutdown ' +
    'Shutdown Sleep SuspendToRam SuspendToDisk SuspendHybrid LogoutAndReboot LogoutAndShutdown RequestShutdown RequestReboot',
);
add(
  'arbitrary code execution',
  'StartTransientUnit SetEnvironment UnsetEnvironment UnsetAndSetEnvironment HostCommand Spawn Eval Exec ' +
    'sendText runCommand runCommandInTerminal execute_command execute_command_by_uuid ExecuteCommand loadScript loadDeclarativeScript',
);
add(
  'package management',
  'InstallPackages UpdatePackages RemovePackages InstallFiles UpgradeSystem UpdateSystem InstallSignature RepairSystem',
);
add('secret retrieval', 'GetSecrets GetSecret RetrieveSecret GetSecretConfiguration');
add('bus administration', 'BecomeMonitor UpdateActivationEnvironment');
add('account change', 'SetPassword SetPasswordMode CreateUser DeleteUser');

/**
 * The reason a member name is on the global floor, or undefined. Names are folded first, so
 * look-alikes (`poweroff`, `Power_Off`, `PowerOff2`) and `…WithFlags` variants match too.
 */
export function globalForbiddenReason(member: string): string | undefined {
  const n = normalizeMember(member);
  return GLOBAL_FORBIDDEN[n] ?? GLOBAL_FORBIDDEN[n.replace(/withflags$/, '')];
}

/**
 * The keys of a D-Bus match rule, read the way dbus-daemon reads one (`key='value'` pairs
 * separated by commas; inside quotes everything is literal, outside them `\'` is a quote), so a
 * value that merely mentions a key does not count as one. Keys are lowercased and trimmed.
 */
export function matchRuleKeys(rule: string): string[] {
  const keys: string[] = [];
  let key = '';
  let inKey = true;
  let quoted = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i];
    if (quoted) {
      if (c === "'") quoted = false;
    } else if (c === "'") {
      quoted = true;
    } else if (c === '\\' && rule[i + 1] === "'") {
      i++;
    } else if (c === ',') {
      keys.push(key.trim().toLowerCase());
      key = '';
      inKey = true;
    } else if (c === '=' && inKey) {
      inKey = false;
    } else if (inKey) {
      key += c;
    }
  }
  keys.push(key.trim().toLowerCase());
  return keys.filter((k) => k !== '');
}

/**
 * Why an `org.freedesktop.DBus.AddMatch` call is bus administration, or undefined: a rule with an
 * `eavesdrop` key (any value, quoting, case or spacing) receives messages addressed to others,
 * as BecomeMonitor does. A rule that is not a string cannot be judged, so it is refused too.
 */
export function eavesdropReason(args: readonly unknown[] | undefined): string | undefined {
  if (args === undefined) return undefined;
  const rule = args[0];
  if (typeof rule !== 'string')
    return 'bus administration (a match rule is judged on its text: pass it as a string)';
  if (matchRuleKeys(rule).includes('eavesdrop')) {
    return 'bus administration (an eavesdrop match rule receives messages addressed to others)';
  }
  return undefined;
}

/**
 * True when `member` looks like one of `forbidden` (folded spelling, containing it): used for
 * members a curated interface does not list, so `PowerOffNow` or `poweroff` never pass as reads.
 */
export function looksLike(member: string, forbidden: Iterable<string>): string | undefined {
  const n = normalizeMember(member);
  for (const f of forbidden) {
    const nf = normalizeMember(f);
    if (nf.length >= 4 && n.includes(nf)) return f;
  }
  return undefined;
}

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

function globToRegExp(glob: string, flags = ''): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, flags);
}

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

export { globToRegExp };
