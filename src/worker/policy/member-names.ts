/**
 * How the policy reads a member name: its words, its folded spelling, and whether it only asks
 * (a read). Names are split on case changes, separators and digits, so `PowerOffNow`,
 * `power_off`, `requestShutDown` and `logout` yield the same words a human reads in them.
 */

/** Folds spelling variants together: `PowerOff`, `poweroff`, `Power_Off`, `PowerOff2` → `poweroff`. */
export function normalizeMember(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

/** `GetPowerOffTime` → get, power, off, time; `new_tab_cmdline` → new, tab, cmdline; `KExec` → k, exec. */
export function splitWords(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((w) => w.toLowerCase());
}

/** A read prefix asks for something: Get, List, Query, Read, Find, Search (+ Lookup, Enumerate, Describe). */
const ASKING_PREFIXES = new Set([
  'get',
  'list',
  'query',
  'read',
  'find',
  'search',
  'lookup',
  'enumerate',
  'describe',
]);
/** A question prefix asks whether: `CanPowerOff`, `IsShuttingDown`, `HasInhibit` ask, whatever verb follows. */
const QUESTION_PREFIXES = new Set(['is', 'has', 'can', 'supports', 'are', 'does']);

/** Words that chain a second operation onto a read: `GetAndPowerOff`, `ReadThenDelete`, `FindOrCreate`. */
const CONJUNCTIONS = new Set(['and', 'or', 'then', 'plus', 'also']);

/**
 * Words that make a name act, not read, wherever they follow a read prefix: `GetResetCounters`,
 * `ListPurgeOld`, `QueryExit`, `GetSetValue`, `ReadAndDelete`.
 */
export const ACTION_WORDS: ReadonlySet<string> = new Set(
  (
    'reset purge clear delete remove exit kill set start stop create quit restart flush drop destroy ' +
    'unlock lock enable disable trigger send write update install uninstall add insert put push move rename ' +
    'change modify apply activate deactivate close launch run exec execute spawn eval evaluate invoke load ' +
    'unload save upload unmount eject wipe erase cancel abort terminate suspend resume pause toggle register ' +
    'unregister grant revoke allow deny unblock accept reject approve authorize login logout logoff signout ' +
    'connect disconnect attach detach bind unbind claim acquire reboot shutdown poweroff halt hibernate sleep ' +
    'wake reload sync commit rollback replace merge append truncate compile enqueue submit emit fire inject ' +
    'simulate press click import export rotate renew forget unset invalidate end perform'
  ).split(' '),
);

/** The last word of a name that reads about an action rather than doing it: `GetPowerOffTime`, `GetShutdownInhibitors`. */
export const READING_TAILS: ReadonlySet<string> = new Set(
  (
    'time times delay timeout timeouts status state states mode modes info information type types reason ' +
    'reasons count schedule scheduled inhibitor inhibitors inhibited allowed supported available capability ' +
    'capabilities method methods option options setting settings parameter parameters policy policies config ' +
    'configuration history hint hints flags progress support action actions target targets list'
  ).split(' '),
);

export interface ReadShape {
  /** The name only asks: a question prefix (`Can…`), or a read prefix whose rest holds no action word. */
  reads: boolean;
  /** A question (`Can`, `Is`, `Has`…): it reads whatever verb follows (`CanPowerOff`, `IsShuttingDown`). */
  question: boolean;
  /** A read prefix followed by an action word and a reading tail: `GetPowerOffTime`, `GetResetTime`. */
  readsAboutAction: boolean;
  words: string[];
}

/**
 * Whether a member name only asks. The prefix must be a whole word (`Isolate`, `Cancel`,
 * `Listen` are not reads), a conjunction never reads (`GetAndPowerOff`), and a read prefix
 * followed by an action word reads only when a reading tail ends it (`GetPowerOffTime` reads,
 * `GetResetCounters`, `ListPurgeOld`, `QueryExit` do not). Power, code and secret words are
 * judged by the floor on top of this (floor.ts).
 */
export function readShape(member: string): ReadShape {
  const words = splitWords(member);
  const [first] = words;
  const none = { reads: false, question: false, readsAboutAction: false, words };
  if (first === undefined || !member.toLowerCase().startsWith(first)) return none;
  if (words.some((w) => CONJUNCTIONS.has(w))) return none;
  if (QUESTION_PREFIXES.has(first)) return { ...none, reads: true, question: true };
  if (!ASKING_PREFIXES.has(first)) return none;
  const rest = words.slice(1);
  if (!rest.some((w) => ACTION_WORDS.has(w))) return { ...none, reads: true };
  const last = rest[rest.length - 1] ?? '';
  if (READING_TAILS.has(last) && !ACTION_WORDS.has(last)) {
    return { ...none, reads: true, readsAboutAction: true };
  }
  return none;
}
