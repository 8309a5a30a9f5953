import { DRIVER } from '../dbus/well-known.js';
import type { CuratedInterface } from './curated.js';
import { CURATED_SERVICES, SESSION_INTERFACES } from './curated.js';
import { ADMIN_INTERFACES } from './curated-admin.js';
import { BUS_INTERFACES } from './curated-bus.js';
import { EXEC_INTERFACES } from './curated-exec.js';
import { SECRET_INTERFACES } from './curated-secrets.js';
import { SESSION_MANAGER_INTERFACES } from './curated-sessions.js';
import { SYSTEM_INTERFACES } from './curated-system.js';
import { familyFloor } from './families.js';
import { looksLike, memberFloor, propertyFloor } from './floor.js';
import { eavesdropReason } from './match-rules.js';
import { readShape } from './member-names.js';
import type { BusKind, OperationKind } from './levels.js';
import type { SystemdAnswers } from './units.js';
import { unitChangeReason } from './units.js';
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
  /** What the systemd manager answered about the units a systemd call names (units-resolve.ts). */
  systemd?: SystemdAnswers;
}

export type ClassificationSource = 'standard' | 'curated' | 'floor' | 'service' | 'heuristic' | 'default';

export interface Classification {
  kind: OperationKind;
  reason: string;
  source: ClassificationSource;
}

/** Every curated interface: exact names first, then prefixes (`…*`), longer before shorter. */
export const ALL_CURATED: readonly CuratedInterface[] = [
  ...SESSION_INTERFACES,
  ...SESSION_MANAGER_INTERFACES,
  ...EXEC_INTERFACES,
  ...SECRET_INTERFACES,
  ...BUS_INTERFACES,
  ...SYSTEM_INTERFACES,
  ...ADMIN_INTERFACES,
].sort((a, b) => {
  const pa = a.name.endsWith('*') ? 1 : 0;
  const pb = b.name.endsWith('*') ? 1 : 0;
  return pa - pb || b.name.length - a.name.length;
});

// ALL_CURATED indexed once, case-folded: every judgement looks its interface up (bench/README.md,
// change 26). Exact names before prefixes and, within each, ALL_CURATED's order decides, as a walk
// over it would.
const CURATED_EXACT = new Map<string, CuratedInterface>();
const CURATED_PREFIXES: Array<{ prefix: string; entry: CuratedInterface }> = [];
for (const e of ALL_CURATED) {
  const lower = e.name.toLowerCase();
  if (lower.endsWith('*')) CURATED_PREFIXES.push({ prefix: lower.slice(0, -1), entry: e });
  else if (!CURATED_EXACT.has(lower)) CURATED_EXACT.set(lower, e);
}

/** The curated entry for an interface (exact names first, then the longest matching prefix). */
export function curatedEntry(iface: string): CuratedInterface | undefined {
  const lower = iface.toLowerCase();
  return CURATED_EXACT.get(lower) ?? CURATED_PREFIXES.find((p) => lower.startsWith(p.prefix))?.entry;
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

export { splitWords } from './member-names.js';

/**
 * Name heuristics, the last resort: a method reads when its name only asks (member-names.ts:
 * a question, or a read prefix — Get, List, Query, Read, Find, Search… — whose rest holds no
 * action word, `GetResetCounters` does not read) and no word is secret-bearing.
 */
export function heuristicRead(member: string): boolean {
  const shape = readShape(member);
  return shape.reads && !shape.words.some((w) => SENSITIVE_WORDS.has(w));
}

/**
 * Whether a property holds a secret: its name says so (`Password`, `ClientSecret`, `psk`), or the
 * curated entry of its interface lists it (`Parameters` of a Telepathy account). `iface` may be
 * unknown (''), then only the name is judged. Bulk reads and PropertiesChanged signals drop these.
 */
export function isSecretProperty(iface: string, property: string): boolean {
  if (propertyFloor(property, 'get')) return true;
  if (iface === '' || isStandardInterface(iface)) return false;
  return curatedEntry(iface)?.secretProperties?.includes(property) ?? false;
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
        ? `${what}: ${entry.forbiddenReasons?.[input.member] ?? entry.forbiddenReason ?? 'forbidden'}`
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
        ? `${what}: ${entry.forbiddenReasons?.[input.member] ?? entry.forbiddenReason ?? 'forbidden'}`
        : `${what} is ${kind} (curated)`;
  } else {
    const floor = memberFloor(input.member);
    if (floor) return { kind: 'forbidden', reason: `${what}: ${floor.reason}`, source: 'floor' };
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
    if (entry.unknown === 'read-or-forbidden' && !heuristicRead(input.member)) {
      return {
        kind: 'forbidden',
        reason: `${what} is not a known member of ${entry.name}: ${entry.forbiddenReason ?? 'forbidden'}`,
        source: 'curated',
      };
    }
    if (
      (entry.unknown === 'heuristic' || entry.unknown === 'read-or-forbidden') &&
      heuristicRead(input.member)
    ) {
      kind = 'read';
      reason = `${what} reads (name heuristics; ${entry.name} does not list it)`;
    } else {
      kind = 'call';
      reason = `${what} is not in the curated knowledge of ${entry.name}; treated as a call that may change state`;
    }
  }
  if (kind !== 'read' && kind !== 'forbidden') {
    const unitReason = unitChangeReason(entry, input);
    if (unitReason) return { kind: 'forbidden', reason: `${what}: ${unitReason}`, source: 'curated' };
  }
  return { kind, reason, source: 'curated' };
}

function classifyRead(input: ClassifyInput, entry: CuratedInterface | undefined): Classification {
  const what =
    input.access === 'getall' ? `all properties of ${input.interface}` : `${input.interface}.${input.member}`;
  const family = familyFloor(input, entry);
  if (family) return { kind: 'forbidden', reason: `read of ${what}: ${family}`, source: 'floor' };
  const secrets = entry?.secretProperties ?? [];
  if (secrets.length > 0 && (input.access === 'getall' || secrets.includes(input.member))) {
    return {
      kind: 'forbidden',
      reason: `read of ${what}: ${entry?.forbiddenReason ?? 'secret retrieval'} (${secrets.join(', ')} hold secrets)`,
      source: 'curated',
    };
  }
  // GetAll is judged on every property the reply will carry (introspection's list, when known).
  const names = input.access === 'get' ? [input.member] : (input.message?.properties ?? []);
  for (const name of names) {
    const floor = propertyFloor(name, 'get');
    if (floor) return { kind: 'forbidden', reason: `read of ${what}: ${floor.reason}`, source: 'floor' };
  }
  return { kind: 'read', reason: `property read of ${input.interface}`, source: 'standard' };
}

/**
 * Decides what a resolved operation does, in order: property access (secret-bearing properties
 * are forbidden), eavesdropping match rules, standard interfaces, the family floor (families.ts),
 * curated knowledge, the member-name floor (floor.ts), curated services reached on an unknown
 * interface, name heuristics; anything else is a `call`.
 */
export function classify(input: ClassifyInput): Classification {
  const what = `${input.interface}.${input.member}`;
  const entry = isStandardInterface(input.interface) ? undefined : curatedEntry(input.interface);
  const family = { ...input, body: input.message?.body };
  if (input.access === 'get' || input.access === 'getall') return classifyRead(family, entry);
  if (input.access === 'set') {
    const floor = familyFloor(family, entry) ?? propertyFloor(input.member, 'set')?.reason;
    if (floor) return { kind: 'forbidden', reason: `write of ${what}: ${floor}`, source: 'floor' };
    return classifyWrite(input);
  }
  if (input.interface === DRIVER.interface && input.member === 'AddMatch' && !input.withoutArgs) {
    const eavesdrop = eavesdropReason(input.args?.[0], input.message?.body[0]);
    if (eavesdrop) return { kind: 'forbidden', reason: `${what}: ${eavesdrop}`, source: 'floor' };
  }

  const standard = STANDARD[input.interface];
  if (input.member === 'GetManagedObjects') {
    // A standard read that returns every property of every object: judged like GetAll of each.
    const secret = familyFloor(family, entry);
    if (secret) return { kind: 'forbidden', reason: `${what}: ${secret}`, source: 'floor' };
  }
  if (standard && Object.hasOwn(standard, input.member)) {
    const kind = standard[input.member] as OperationKind;
    return {
      kind,
      reason: `${what} is a standard ${kind === 'read' ? 'read' : 'property write'}`,
      source: 'standard',
    };
  }
  const byFamily = familyFloor(family, entry);
  if (byFamily) return { kind: 'forbidden', reason: `${what}: ${byFamily}`, source: 'floor' };
  if (entry) return classifyCurated(entry, input);

  const floor = memberFloor(input.member);
  if (floor) return { kind: 'forbidden', reason: `${what}: ${floor.reason}`, source: 'floor' };

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
