// Over 300 lines: one concern, the member-name patterns of every floor class (power, code, input, secrets, the bus) side by side.
/**
 * The forbidden floor that does not depend on which interface is called: member names that mean
 * power, code execution, input injection, package management, secret retrieval, bus
 * administration or account changes wherever they appear, judged by pattern (words and folded
 * spelling), not by exact name. Curated knowledge of an interface wins over these patterns for
 * the members it lists (a UDisks2 drive's `PowerOff` is not the machine's); families of
 * interfaces and services are in families.ts; accounts, packages, disks and exfiltration in
 * floor-admin.ts. (The protected systemd units are judged in units.ts.)
 */
import { accountFinding, diskFinding, exfiltrationFinding, packageFinding } from './floor-admin.js';
import { normalizeMember, readShape, READING_TAILS, splitWords } from './member-names.js';

export { normalizeMember } from './member-names.js';

/** Folded spellings that mean powering the machine off, rebooting, sleeping or ending the session. */
const POWER_FOLDED = [
  'poweroff',
  'powerdown',
  'powercycle',
  'reboot',
  'shutdown',
  'shutoff',
  'halt',
  'suspend',
  'hibernat',
  'hybridsleep',
  'standby',
  'kexec',
  'softreboot',
  'logout',
  'logoff',
  'signout',
  'signoff',
  'endsession',
  'quitsession',
  'exitsession',
  'closesession',
  'terminatesession',
  'killsession',
  'restartsession',
  'restartsystem',
  'restartcomputer',
  'restartmachine',
  'leavesession',
];
/** Whole words that mean power on their own (`Sleep`, `GoToSleep`), too short to match inside others. */
const POWER_WORDS = new Set(['sleep']);
/** Ending a session by any verb logs out: `EndUserSession`, `TerminateAllSessions`, `KillSessions`. */
const SESSION_ENDERS = new Set([
  'end',
  'quit',
  'exit',
  'close',
  'terminate',
  'kill',
  'leave',
  'stop',
  'destroy',
  'abort',
]);
const SESSION_NOUNS = new Set(['session', 'sessions', 'login', 'logins']);

/** Words that run code: `Exec`, `execute_command`, `Spawn`, `evaluateScript` (not `GetExecutable`). */
const EXEC_VERB = /^(exec|execute|executes|exec[vl]\w*|spawn\w*|eval|evaluate\w*|popen)$/;
const EXEC_FOLDED_START = /^(exec(?!utable)|spawn|eval|popen)/;
/** Nouns that carry a program to run: any non-read name holding one runs it (`new_tab_cmdline`, `RunScript`, `SetShell`). */
const EXEC_NOUNS = new Set([
  'command',
  'commands',
  'cmd',
  'cmds',
  'cmdline',
  'commandline',
  'script',
  'scripts',
  'shell',
  'program',
  'executable',
]);
const EXEC_FOLDED = [
  'cmdline',
  'commandline',
  'runinterminal',
  'hostcommand',
  'desktopfile',
  'transientunit',
];
/** Folded spellings that set what launched programs inherit (LD_PRELOAD and friends). */
const ENV_FOLDED = ['environment', 'setenv', 'putenv', 'launchenv', 'unsetenv', 'updateenv', 'importenv'];

const INPUT_VERBS = new Set([
  'notify',
  'send',
  'simulate',
  'inject',
  'fake',
  'generate',
  'synthesize',
  'synthesise',
  'emit',
  'press',
  'type',
  'post',
]);
/** Pressing a shortcut for the user: `invokeShortcut`, `HandleKeybinding`, `TriggerAccelerator`. */
const SHORTCUT_VERBS = new Set([...INPUT_VERBS, 'invoke', 'trigger', 'activate', 'handle', 'run']);
const SHORTCUT_NOUNS = new Set([
  'shortcut',
  'shortcuts',
  'keybinding',
  'keybindings',
  'accelerator',
  'hotkey',
]);
const INPUT_NOUNS = new Set([
  'key',
  'keys',
  'keyboard',
  'keycode',
  'keysym',
  'keystroke',
  'keystrokes',
  'keypress',
  'pointer',
  'mouse',
  'button',
  'touch',
  'click',
  'scroll',
  'text',
  'input',
]);
const INPUT_FOLDED = ['connecttoeis', 'fakeinput', 'uinput', 'xdotool', 'ydotool'];

/** Secret nouns, folded: any name that is not a write or a question reads one (`GetAccessToken`, `readPasswordList`). */
const SECRET_FOLDED = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'passkey',
  'secret',
  'token',
  'credential',
  'privatekey',
  'apikey',
  'accesskey',
  'masterkey',
  'recoverykey',
  'encryptionkey',
  'signingkey',
  'sshkey',
  'gpgkey',
  'pgpkey',
  'privkey',
  'authkey',
  'sessionkey',
  'cookie',
  'wifikey',
  'wpakey',
  'wepkey',
  'networkkey',
  'psk',
];
/** Tokens that are not secrets: a window activation or startup token only moves focus. */
const NOT_SECRET_FOLDED = ['activationtoken', 'startuptoken', 'installtoken', 'xdgactivationtoken'];
const SECRET_WORDS = new Set(['pin', 'puk', 'otp', 'totp']);
/** First words that write, clear or check a secret rather than reveal it (`SetSecret`, `ClearSecrets`, `HasPassword`). */
const SECRET_WRITE_VERBS = new Set(
  (
    'set write store save change update add create clear delete remove reset forget unset invalidate ' +
    'revoke ensure cancel import rotate renew register unregister rename enable disable lock unlock verify ' +
    'check validate need needs'
  ).split(' '),
);
/** Words after a secret noun that make the name about the secret, not the secret itself (`GetPasswordExpirationPolicy`). */
const SECRET_METADATA = new Set(
  (
    'expiration expirationpolicy policy mode hint hints required needed strength quality length changed ' +
    'age expires expiry type flags status state supported valid validity prompt dialog timeout set fingerprint ' +
    'fingerprints policies'
  ).split(' '),
);
/** Handing over a key store in bulk: `ExportKeys`, `DumpKeyring`, `BackupWallet`. */
const KEY_EXPORT_VERBS = new Set(['export', 'dump', 'backup', 'extract', 'copy']);
const KEY_STORE_NOUNS = new Set([
  'key',
  'keys',
  'keyring',
  'keyrings',
  'keystore',
  'keychain',
  'wallet',
  'wallets',
  'vault',
]);
/** Words before a secret noun that make it the key of a look-up, not its result (`GetSessionForCookie`). */
const SECRET_LOOKUP_KEYS = new Set(['for', 'by', 'from']);
/** Writes that change who may log in, or as whom: a password or an account's rights. */
const ACCOUNT_VERBS = new Set(['set', 'change', 'reset', 'update', 'write', 'store', 'save']);

const BUS_ADMIN_FOLDED = ['becomemonitor', 'activationenvironment'];
/**
 * Becoming an agent a daemon trusts (polkit's authentication agent, NetworkManager's secret agent,
 * BlueZ's pairing agent) or answering for one: the daemon hands it passwords and authorizations.
 */
const AGENT_FOLDED = ['registeragent', 'authenticationagent', 'agentresponse', 'defaultagent', 'secretagent'];

/** What a member name does that no level or rule may allow, and why. */
export interface FloorFinding {
  family: 'power' | 'code' | 'input' | 'secret' | 'account' | 'package' | 'disk' | 'bus';
  reason: string;
}

const has = (folded: string, parts: readonly string[]): string | undefined =>
  parts.find((p) => folded.includes(p));

/**
 * A power word reads only as a question (`CanPowerOff`, `IsShuttingDown`) or as a read prefix
 * whose name ends in a reading tail after the power word (`GetPowerOffTime`,
 * `GetShutdownInhibitors`); `GetPowerOff`, `GetAndPowerOff`, `QueryReboot` act.
 */
function powerReads(member: string): boolean {
  const shape = readShape(member);
  if (shape.question) return true;
  if (!shape.reads) return false;
  const last = shape.words[shape.words.length - 1] ?? '';
  return READING_TAILS.has(last) && !has(last, POWER_FOLDED);
}

function powerFinding(member: string, folded: string, words: string[]): FloorFinding | undefined {
  const [first = '', ...rest] = words;
  const ender =
    SESSION_ENDERS.has(first) && rest.some((w) => SESSION_NOUNS.has(w)) ? `${first} session` : undefined;
  const hit = has(folded, POWER_FOLDED) ?? words.find((w) => POWER_WORDS.has(w)) ?? ender;
  if (hit === undefined || powerReads(member)) return undefined;
  return { family: 'power', reason: `power operation (the name says ${hit})` };
}

function codeFinding(member: string, folded: string, words: string[]): FloorFinding | undefined {
  const shape = readShape(member);
  const verb = words.find((w) => EXEC_VERB.test(w)) ?? EXEC_FOLDED_START.exec(folded)?.[1];
  if (verb && !shape.question) {
    return { family: 'code', reason: `arbitrary code execution (the name says ${verb})` };
  }
  if (shape.reads) return undefined;
  const noun = words.find((w) => EXEC_NOUNS.has(w)) ?? has(folded, EXEC_FOLDED);
  if (noun) return { family: 'code', reason: `arbitrary code execution (it takes a ${noun} to run)` };
  const env = has(folded, ENV_FOLDED);
  if (env) {
    return {
      family: 'code',
      reason: 'arbitrary code execution (it changes the environment programs are started with)',
    };
  }
  return undefined;
}

function inputFinding(member: string, folded: string, words: string[]): FloorFinding | undefined {
  const folds = has(folded, INPUT_FOLDED);
  if (folds) return { family: 'input', reason: `input injection (the name says ${folds})` };
  const [first, ...rest] = words;
  if (first === undefined) return undefined;
  const shortcut = SHORTCUT_VERBS.has(first) ? rest.find((w) => SHORTCUT_NOUNS.has(w)) : undefined;
  const noun = shortcut ?? (INPUT_VERBS.has(first) ? rest.find((w) => INPUT_NOUNS.has(w)) : undefined);
  if (noun === undefined) return undefined;
  return {
    family: 'input',
    reason: `input injection (it acts as the user's ${noun})`,
  };
}

function secretFinding(member: string, folded: string, words: string[]): FloorFinding | undefined {
  const [verb = '', ...others] = words;
  const store = KEY_EXPORT_VERBS.has(verb) ? others.find((w) => KEY_STORE_NOUNS.has(w)) : undefined;
  if (store) return { family: 'secret', reason: `secret retrieval (it hands over a ${store} in bulk)` };
  let noun = has(folded, SECRET_FOLDED) ?? words.find((w) => SECRET_WORDS.has(w));
  if (noun === undefined) return undefined;
  if (
    has(folded, NOT_SECRET_FOLDED) &&
    !has(folded.replace(/activationtoken|startuptoken|installtoken/g, ''), SECRET_FOLDED)
  ) {
    return undefined;
  }
  const [first = ''] = words;
  const question = readShape(member).question;
  // The word where the noun ends (`GetSshKeyFingerprint`: ssh + key), so what follows it is known.
  const found = noun;
  const at = words.findIndex((_, i) =>
    words
      .slice(0, i + 1)
      .join('')
      .includes(found),
  );
  const after = at < 0 ? [] : words.slice(at + 1);
  if (at > 0 && SECRET_LOOKUP_KEYS.has(words[at - 1] ?? '')) return undefined;
  const isPassword = /pass(word|wd|phrase|code)|\bpin\b/.test(noun);
  if (!question && isPassword && (ACCOUNT_VERBS.has(first) || words.some((w) => w === 'change'))) {
    return { family: 'account', reason: `account change (it writes a ${noun})` };
  }
  if (question || SECRET_WRITE_VERBS.has(first)) return undefined;
  if (after.some((w) => SECRET_METADATA.has(w))) return undefined;
  noun = noun === 'psk' ? 'pre-shared key' : noun;
  return { family: 'secret', reason: `secret retrieval (it reads a ${noun})` };
}

/**
 * The floor finding for a member name on any interface, or undefined. In order: bus
 * administration and agents, power, code execution, input injection, secrets, accounts, packages
 * and firmware, disks, file exfiltration. Reads
 * stay reads where the name only asks (`CanPowerOff`, `GetPowerOffTime`, `GetCommandLine`,
 * `HasPassword`, `GetPasswordExpirationPolicy`).
 */
export function memberFloor(member: string): FloorFinding | undefined {
  const folded = normalizeMember(member);
  const words = splitWords(member);
  const bus = has(folded, BUS_ADMIN_FOLDED);
  if (bus) return { family: 'bus', reason: 'bus administration' };
  const agent = has(folded, AGENT_FOLDED);
  if (agent && !readShape(member).reads) {
    return {
      family: 'bus',
      reason:
        'impersonation (it registers or answers as an agent a daemon trusts with passwords and authorizations)',
    };
  }
  return (
    powerFinding(member, folded, words) ??
    codeFinding(member, folded, words) ??
    inputFinding(member, folded, words) ??
    secretFinding(member, folded, words) ??
    accountFinding(member, folded, words) ??
    packageFinding(member, folded, words) ??
    diskFinding(member, words) ??
    exfiltrationFinding(words)
  );
}

/** The reason a member name is on the global floor, or undefined (`memberFloor` as text). */
export function globalForbiddenReason(member: string): string | undefined {
  return memberFloor(member)?.reason;
}

/**
 * Why reading or writing a property is on the floor, or undefined: a property whose name holds a
 * secret (`ClientSecret`, `Password`, `AccessToken`) is a secret to read and an account change
 * to write; its metadata (`PasswordMode`, `PasswordHint`) is not.
 */
export function propertyFloor(property: string, access: 'get' | 'set'): FloorFinding | undefined {
  if (property === '') return undefined;
  const finding = secretFinding(
    `Get${property.charAt(0).toUpperCase()}${property.slice(1)}`,
    normalizeMember(property),
    ['get', ...splitWords(property)],
  );
  if (!finding) return undefined;
  return access === 'get'
    ? { family: 'secret', reason: `secret retrieval (property ${property} holds a secret)` }
    : { family: 'account', reason: `account change (property ${property} holds a secret)` };
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
