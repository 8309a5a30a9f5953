import { DRIVER } from '../dbus/well-known.js';
import type { CuratedInterface } from './curated.js';
import { CURATED_SERVICES, SESSION_INTERFACES } from './curated.js';
import { SYSTEM_INTERFACES } from './curated-system.js';
import { eavesdropReason, globalForbiddenReason, looksLike } from './floor.js';
import type { BusKind, OperationKind } from './levels.js';
import { protectedUnitReason } from './units.js';
import type { PreparedMessage } from '../dbus/types.js';

export type Access = 'call' | 'get' | 'set' | 'getall';

/** An operation after resolution: the interface is known and Properties calls are property ops. */
export interface ClassifyInput {
  bus: BusKind;
  /** The destination and every name its owner holds (unique and well-known). */
  names: string[];
  path: string;
  interface: string;
  /** Method name, or property name for get/set ('' for getall). */
  member: string;
  access: Access;
  args?: unknown[];
  /** Explaining without arguments: a unit-changing call is judged as if its unit were not protected. */
  withoutArgs?: boolean;
  /** The message the gate will send, its arguments converted to D-Bus values (`args` is their JSON). */
  message?: PreparedMessage;
}

export type ClassificationSource = 'standard' | 'curated' | 'floor' | 'service' | 'heuristic' | 'default';

export interface Classification {
  kind: OperationKind;
  reason: string;
  source: ClassificationSource;
}

const ALL_CURATED: CuratedInterface[] = [...SESSION_INTERFACES, ...SYSTEM_INTERFACES].sort((a, b) => {
  const pa = a.name.endsWith('*') ? 1 : 0;
  const pb = b.name.endsWith('*') ? 1 : 0;
  return pa - pb || b.name.length - a.name.length;
});

/** The curated entry for an interface (exact names first, then the longest matching prefix). */
export function curatedEntry(iface: string): CuratedInterface | undefined {
  const lower = iface.toLowerCase();
  return ALL_CURATED.find((e) =>
    e.name.endsWith('*')
      ? lower.startsWith(e.name.slice(0, -1).toLowerCase())
      : lower === e.name.toLowerCase(),
  );
}

const STANDARD: Record<string, Record<string, OperationKind>> = {
  'org.freedesktop.DBus.Introspectable': { Introspect: 'read' },
  'org.freedesktop.DBus.Peer': { Ping: 'read', GetMachineId: 'read' },
  'org.freedesktop.DBus.ObjectManager': { GetManagedObjects: 'read' },
  'org.freedesktop.DBus.Properties': { Get: 'read', GetAll: 'read', Set: 'property_write' },
};

export function isStandardInterface(iface: string): boolean {
  return Object.hasOwn(STANDARD, iface);
}

const READ_PREFIXES = new Set(['get', 'list', 'query', 'is', 'has', 'can', 'read', 'find', 'search']);
/** Words that make a Get…/List… name a secret read rather than a plain read (audit redacts on them too). */
export const SENSITIVE_WORDS: ReadonlySet<string> = new Set([
  'secret',
  'secrets',
  'password',
  'passwords',
  'passphrase',
  'passwd',
  'token',
  'tokens',
  'credential',
  'credentials',
  'private',
  'pin',
]);
const CONJUNCTIONS = new Set(['and', 'or', 'then', 'plus']);
const STRONG_VERBS = new Set([
  'set',
  'write',
  'delete',
  'remove',
  'create',
  'install',
  'exec',
  'run',
  'kill',
  'spawn',
  'update',
  'start',
  'stop',
]);

export function splitWords(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((w) => w.toLowerCase());
}

/**
 * Name heuristics, the last resort: a method reads when its first word is a read prefix
 * (Get, List, Query, Is, Has, Can, Read, Find, Search), no word is secret-bearing, and it does
 * not chain a second action (`GetOrCreate…`, `ReadAndDelete…`, `GetSet…`).
 */
export function heuristicRead(member: string): boolean {
  const words = splitWords(member);
  const [first, second] = words;
  if (first === undefined || !READ_PREFIXES.has(first)) return false;
  // The prefix must be a whole word: `Isolate`, `Cancel`, `Listen` are not reads.
  if (!member.toLowerCase().startsWith(first)) return false;
  if (words.some((w) => SENSITIVE_WORDS.has(w) || CONJUNCTIONS.has(w))) return false;
  return second === undefined || !STRONG_VERBS.has(second);
}

function forbiddenMembers(entries: CuratedInterface[]): string[] {
  return entries.flatMap((e) => Object.keys(e.methods).filter((k) => e.methods[k] === 'forbidden'));
}

function curatedServiceOf(names: string[]): string | undefined {
  return names.find((n) => Object.hasOwn(CURATED_SERVICES, n));
}

function classifyWrite(input: ClassifyInput): Classification {
  const entry = curatedEntry(input.interface);
  const what = `write of ${input.interface}.${input.member}`;
  if (entry) {
    const kind = entry.writes?.[input.member] ?? entry.writeDefault ?? 'property_write';
    const reason =
      kind === 'forbidden'
        ? `${what}: ${entry.forbiddenReason ?? 'forbidden'}`
        : `${what} (curated: ${entry.name})`;
    return { kind, reason, source: 'curated' };
  }
  return { kind: 'property_write', reason: `property ${what}`, source: 'default' };
}

function classifyCurated(entry: CuratedInterface, input: ClassifyInput): Classification {
  const what = `${input.interface}.${input.member}`;
  const listed = Object.hasOwn(entry.methods, input.member) ? entry.methods[input.member] : undefined;
  let kind: OperationKind;
  let reason: string;
  if (listed !== undefined) {
    kind = listed;
    reason =
      kind === 'forbidden'
        ? `${what}: ${entry.forbiddenReason ?? 'forbidden'}`
        : `${what} is ${kind} (curated)`;
  } else {
    const floor = globalForbiddenReason(input.member);
    if (floor) return { kind: 'forbidden', reason: `${what}: ${floor}`, source: 'floor' };
    const like = looksLike(input.member, forbiddenMembers([entry]));
    if (like) {
      return {
        kind: 'forbidden',
        reason: `${what} looks like ${like}: ${entry.forbiddenReason ?? 'forbidden'}`,
        source: 'curated',
      };
    }
    if (entry.unknown === 'forbidden') {
      return {
        kind: 'forbidden',
        reason: `${what}: ${entry.forbiddenReason ?? 'forbidden'}`,
        source: 'curated',
      };
    }
    if (entry.unknown === 'heuristic' && heuristicRead(input.member)) {
      kind = 'read';
      reason = `${what} reads (name heuristics; ${entry.name} does not list it)`;
    } else {
      kind = 'call';
      reason = `${what} is not in the curated knowledge of ${entry.name}; treated as a call that may change state`;
    }
  }
  if (kind !== 'read' && kind !== 'forbidden') {
    const unitReason = protectedUnitReason(entry, input);
    if (unitReason) return { kind: 'forbidden', reason: `${what}: ${unitReason}`, source: 'curated' };
  }
  return { kind, reason, source: 'curated' };
}

/**
 * Decides what a resolved operation does, in order: property access, standard interfaces,
 * curated knowledge, the global forbidden floor, curated services reached on an unknown
 * interface, name heuristics; anything else is a `call`.
 */
export function classify(input: ClassifyInput): Classification {
  const what = `${input.interface}.${input.member}`;
  if (input.access === 'get' || input.access === 'getall') {
    return { kind: 'read', reason: `property read of ${input.interface}`, source: 'standard' };
  }
  if (input.access === 'set') return classifyWrite(input);
  if (input.interface === DRIVER.interface && input.member === 'AddMatch' && !input.withoutArgs) {
    const eavesdrop = eavesdropReason(input.args);
    if (eavesdrop) return { kind: 'forbidden', reason: `${what}: ${eavesdrop}`, source: 'floor' };
  }

  const standard = STANDARD[input.interface];
  if (standard && Object.hasOwn(standard, input.member)) {
    const kind = standard[input.member] as OperationKind;
    return {
      kind,
      reason: `${what} is a standard ${kind === 'read' ? 'read' : 'property write'}`,
      source: 'standard',
    };
  }
  const entry = standard ? undefined : curatedEntry(input.interface);
  if (entry) return classifyCurated(entry, input);

  const floor = globalForbiddenReason(input.member);
  if (floor) return { kind: 'forbidden', reason: `${what}: ${floor}`, source: 'floor' };

  const service = curatedServiceOf(input.names);
  if (service && !standard) {
    const prefix = (CURATED_SERVICES[service] as string).toLowerCase();
    const related = ALL_CURATED.filter((e) => e.name.toLowerCase().startsWith(prefix));
    const like = looksLike(input.member, forbiddenMembers(related));
    if (like) {
      return {
        kind: 'forbidden',
        reason: `${what} on ${service} looks like ${like}, which is forbidden`,
        source: 'service',
      };
    }
    return {
      kind: 'call',
      reason: `${input.interface} is not a known interface of ${service}; treated as a call that may change state`,
      source: 'service',
    };
  }
  if (heuristicRead(input.member)) {
    return { kind: 'read', reason: `${what} reads (name heuristics)`, source: 'heuristic' };
  }
  return {
    kind: 'call',
    reason: `${what} is an unknown method; treated as a call that may change state`,
    source: 'default',
  };
}
