/**
 * The forbidden floor that does not depend on which interface is called: member names that mean
 * power, code execution, package management, secret retrieval, bus administration or account
 * changes wherever they appear. (The protected systemd units are judged in units.ts.)
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
