/**
 * The judgement of a systemd call by the unit systemd would act on: every name the unit goes by
 * (the call's own, normalised as systemd normalises it, and what the manager answered: Id, Names,
 * Following), its type (only services, timers, sockets and paths may be changed), the protected
 * list, what its change sets off (SuccessAction=, FailureAction= …, the units its dependencies
 * start or stop), the job mode and the properties a call sets. Pure: the manager's answers come in
 * `systemd` (units-resolve.ts asks for them).
 */
import type { CuratedInterface } from './curated.js';
import type { SystemdCall, SystemdCallInput, UnitRef } from './units-call.js';
import { readSystemdCall } from './units-call.js';
import type { Effect } from './units-curated.js';
import { systemdMembers } from './units-curated.js';
import { CHANGEABLE_TYPES, unitObjectPath, unitType } from './units-names.js';
import { powerUnit, protectedUnit } from './units-protected.js';
import { propertyReason } from './units-properties.js';

/** What the manager said about one unit (Properties.GetAll of org.freedesktop.systemd1.Unit, as JSON). */
export interface UnitFacts {
  id: string;
  /** Id, Names and Following. */
  names: string[];
  activeState: string;
  props: Record<string, unknown>;
}

/** The manager's answers for one call: per reference (`UnitRef.key`) and per unit name; null = no answer. */
export interface SystemdAnswers {
  refs: Record<string, UnitFacts | null>;
  units: Record<string, UnitFacts | null>;
  /** The units the change reaches were more than the look-ups allowed. */
  truncated: boolean;
}

/** What the judgement reads of a classified call. */
export interface UnitCallInput extends SystemdCallInput {
  interface: string;
  systemd?: SystemdAnswers;
}

/** At most this many units are asked about for one call (its own and those its change reaches). */
export const MAX_UNITS_ASKED = 32;

const ACTIONS = ['SuccessAction', 'FailureAction', 'StartLimitAction', 'JobTimeoutAction'] as const;
const JOB_MODE_PROPS = ['OnFailureJobMode', 'OnSuccessJobMode'] as const;
const UP = new Set(['active', 'reloading', 'activating', 'deactivating', 'refreshing']);

/** Dependencies and the effect a change of the unit has on them. */
const EDGES: Record<Effect, readonly (readonly [string, Effect])[]> = {
  start: [
    ['Requires', 'start'],
    ['Requisite', 'start'],
    ['Wants', 'start'],
    ['BindsTo', 'start'],
    ['Upholds', 'start'],
    ['Triggers', 'start'],
    ['Conflicts', 'stop'],
    ['ConflictedBy', 'stop'],
  ],
  stop: [
    ['RequiredBy', 'stop'],
    ['BoundBy', 'stop'],
    ['ConsistsOf', 'stop'],
    ['PropagatesStopTo', 'stop'],
    ['TriggeredBy', 'stop'],
  ],
  restart: [],
  reload: [['PropagatesReloadTo', 'reload']],
  change: [],
  file: [],
};
EDGES.restart = [...EDGES.start, ...EDGES.stop.map(([p]) => [p, 'restart'] as const)];
EDGES.file = EDGES.start;
/** Whatever the change, the unit may succeed or fail afterwards. */
const ALWAYS: readonly (readonly [string, Effect])[] = [
  ['OnSuccess', 'start'],
  ['OnFailure', 'start'],
];

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The dependencies a change with `effect` reaches, with the effect on each. */
export function dependencyEdges(
  facts: UnitFacts,
  effect: Effect,
): { name: string; effect: Effect; edge: string }[] {
  const out: { name: string; effect: Effect; edge: string }[] = [];
  for (const [prop, e] of [...EDGES[effect], ...ALWAYS]) {
    for (const name of strings(facts.props[prop])) out.push({ name, effect: e, edge: prop });
  }
  return out;
}

/** True when `effect` changes a unit in this state (starting a running unit does nothing). */
function changes(facts: UnitFacts | null, effect: Effect): boolean {
  if (facts === null) return true;
  const up = UP.has(facts.activeState);
  return effect === 'start' ? !up : up;
}

interface Reached {
  name: string;
  effect: Effect;
  facts: UnitFacts | null;
  via: string;
}

/**
 * The units a change reaches through dependencies that it really changes (a start of a stopped
 * unit, a stop of a running one), transitively, as far as the answers go: `missing` are names the
 * answers do not have yet (the resolver asks for them and walks again).
 */
export function walkEffects(
  roots: readonly { facts: UnitFacts; effect: Effect; label: string }[],
  answers: SystemdAnswers,
): { reached: Reached[]; missing: string[] } {
  const reached: Reached[] = [];
  const missing: string[] = [];
  const seen = new Set(roots.flatMap((r) => r.facts.names));
  const queue = [...roots];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    for (const dep of dependencyEdges(item.facts, item.effect)) {
      if (seen.has(dep.name)) continue;
      seen.add(dep.name);
      const facts = answers.units[dep.name];
      if (facts === undefined) {
        missing.push(dep.name);
        continue;
      }
      if (!changes(facts, dep.effect)) continue;
      const via = `${item.label} → ${dep.edge}=${dep.name}`;
      reached.push({ name: dep.name, effect: dep.effect, facts, via });
      if (facts) queue.push({ facts, effect: dep.effect, label: via });
    }
  }
  return { reached, missing };
}

function namesOf(ref: UnitRef, facts: UnitFacts | null | undefined): string[] {
  const own = ref.by === 'name' || ref.by === 'path' ? ref.name : undefined;
  return [...new Set([own, ...(facts?.names ?? [])].filter((n): n is string => n !== undefined && n !== ''))];
}

const VERB: Record<Effect, string> = {
  start: 'start',
  stop: 'stop',
  restart: 'restart',
  reload: 'reload',
  change: 'change',
  file: 'change the unit file of',
};

/** Why a change with `effect` of a unit going by `names` is forbidden, or undefined. */
function unitReason(
  names: string[],
  facts: UnitFacts | null | undefined,
  effect: Effect,
  dependency: boolean,
): string | undefined {
  for (const n of names) {
    // The spelling as given, too: `Rescue.Service` is no unit systemd knows, but it is not let through as one.
    const spelled = spellingReason(n, effect);
    if (spelled) return spelled;
    const power = powerUnit(n);
    if (power && (!dependency || effect === 'start' || effect === 'restart')) {
      return `${VERB[effect]} ${n}: a power operation (matches ${power})`;
    }
    const p = protectedUnit(n);
    if (p) return `${VERB[effect]} protected unit ${n} (matches ${p})`;
    const type = unitType(n);
    if (type === undefined) return `cannot tell what kind of unit ${JSON.stringify(n)} is`;
    if (!CHANGEABLE_TYPES.has(type) && (!dependency || effect === 'stop' || effect === 'restart')) {
      return `${VERB[effect]} ${n}: changing a ${type} unit is forbidden (only services, timers, sockets and paths may be changed)`;
    }
  }
  if (facts && effect !== 'reload') {
    for (const a of ACTIONS) {
      const v = facts.props[a];
      if (typeof v === 'string' && v !== '' && v !== 'none') {
        return `${names[0] ?? 'the unit'} has ${a}=${v}: a change that can end in ${v} is a power operation`;
      }
    }
    for (const j of JOB_MODE_PROPS) {
      const v = facts.props[j];
      if (v === 'isolate' || v === 'flush' || v === 'replace-irreversibly') {
        return `${names[0] ?? 'the unit'} has ${j}=${v}: its success or failure would ${v === 'isolate' ? 'isolate' : v} the units it starts`;
      }
    }
  }
  return undefined;
}

/**
 * `Rescue.Service` is no unit systemd knows (types are lower case; `systemctl` would make it
 * `Rescue.Service.service`), but a spelling of a protected or power unit, or of a type that may not
 * change (`SESSION.SLICE`), is never let through.
 */
function spellingReason(name: string, effect: Effect): string | undefined {
  const [, stem, type] = /^(.+)\.([A-Za-z]+)\.service$/.exec(name) ?? [];
  if (stem === undefined || type === undefined) return undefined;
  const spelled = `${stem}.${type.toLowerCase()}`;
  const spelledType = unitType(spelled);
  if (spelledType === undefined) return undefined;
  const hit = powerUnit(spelled) ?? protectedUnit(spelled);
  if (hit) return `${VERB[effect]} ${name}: spelled like ${hit}, a protected unit`;
  if (!CHANGEABLE_TYPES.has(spelledType))
    return `${VERB[effect]} ${name}: spelled like a ${spelledType} unit`;
  return undefined;
}

/** The root units of a call with the manager's facts (those it has). */
function roots(call: SystemdCall, answers: SystemdAnswers | undefined) {
  return call.refs.flatMap((ref) => {
    const facts = answers?.refs[ref.key];
    return facts ? [{ facts, effect: ref.effect, label: facts.id }] : [];
  });
}

/** Why a read call (with its manager's answers) is forbidden, or undefined when it may go on. */
function judgeCall(call: SystemdCall, answers: SystemdAnswers | undefined): string | undefined {
  for (const prop of call.properties) {
    const r = propertyReason(prop);
    if (r) return r;
  }
  for (const ref of call.refs) {
    const facts = answers?.refs[ref.key];
    const names = namesOf(ref, facts);
    if (names.length === 0) {
      const what =
        ref.by === 'job'
          ? `job ${ref.path ?? ref.id}`
          : ref.by === 'pid'
            ? `process ${ref.pid}`
            : ref.by === 'path'
              ? ref.path
              : ref.given;
      return `cannot tell which unit ${what} is: the manager did not say`;
    }
    const r = unitReason(names, facts, ref.effect, false);
    if (r) return r;
  }
  if (answers?.truncated)
    return `this change reaches more units than the ${MAX_UNITS_ASKED} the policy asks about`;
  if (answers) {
    for (const dep of walkEffects(roots(call, answers), answers).reached) {
      const names = [...new Set([dep.name, ...(dep.facts?.names ?? [])])];
      const r = unitReason(names, dep.facts, dep.effect, true);
      if (r) return `${dep.via}: ${r}`;
    }
  }
  return undefined;
}

/**
 * Why a call is forbidden before the manager is asked anything: a property it sets, or a unit it
 * names whose own name is enough to refuse it. Asking would change nothing then.
 */
export function refusedOnItsFace(call: SystemdCall): boolean {
  if (call.properties.some((p) => propertyReason(p) !== undefined)) return true;
  return call.refs.some((ref) => {
    const names = namesOf(ref, undefined);
    return names.length > 0 && unitReason(names, undefined, ref.effect, false) !== undefined;
  });
}

/** The systemd call a classified operation makes, or undefined when it is not one (or reads). */
export function systemdCallOf(iface: string, input: SystemdCallInput) {
  const spec = systemdMembers(iface)?.[input.member];
  if (!spec || spec.kind !== 'system_change' || !spec.effect) return undefined;
  return readSystemdCall(spec, !iface.toLowerCase().endsWith('.manager'), input);
}

/**
 * Why a unit-changing operation of a curated systemd interface is forbidden, or undefined. Every
 * unit the call names is judged by every name it goes by; without the manager's answers, by the
 * name alone (a unit named only by a job, a process or an invocation id is then refused).
 */
export function unitChangeReason(entry: CuratedInterface, input: UnitCallInput): string | undefined {
  const reading = systemdCallOf(entry.name.endsWith('*') ? input.interface : entry.name, input);
  if (!reading) return undefined;
  if (!reading.ok) return reading.reason;
  return judgeCall(reading.call, input.systemd);
}

/**
 * Object paths of the units a systemd call changes (their names normalised, and their Id as the
 * manager said), so that a rule written for a unit's path also covers the Manager methods naming it.
 * `single` is false when the call changes several units: a rule for one of them then denies but
 * does not allow (it would otherwise open the others too).
 */
export function unitRulePaths(input: UnitCallInput): { paths: string[]; single: boolean } {
  const reading = systemdCallOf(input.interface, input);
  if (!reading?.ok) return { paths: [], single: false };
  const { refs } = reading.call;
  const paths = refs.flatMap((ref) => namesOf(ref, input.systemd?.refs[ref.key]).map(unitObjectPath));
  return { paths: [...new Set(paths)].filter((p) => p !== input.path), single: refs.length === 1 };
}
