/**
 * Reads a systemd call the way the manager will: which units it names (by argument, unit file,
 * object path, job or process), with what effect, in which job mode, setting which properties. The
 * arguments are the typed values the gate will send (a variant is unwrapped); a shape the manager's
 * signature does not have is refused rather than guessed.
 */
import { isVariant } from '../dbus/values/index.js';
import type { ArgRole, Effect, SystemdMember } from './units-curated.js';
import { JOB_PATH_PREFIX, fileNameOf, isValidUnitName, mangleUnitName, unitFromPath } from './units-names.js';

/** One unit a call changes, as the call names it. `key` indexes the manager's answers. */
export type UnitRef =
  | { by: 'name'; key: string; given: string; name: string; effect: Effect }
  | { by: 'path'; key: string; path: string; name?: string; effect: Effect }
  | { by: 'job'; key: string; path?: string; id?: number; effect: Effect }
  | { by: 'pid'; key: string; pid: number; effect: Effect };

export interface SystemdCall {
  refs: UnitRef[];
  mode?: string;
  /** Unit properties a SetProperties call sets (names). */
  properties: string[];
}

export type CallReading = { ok: true; call: SystemdCall } | { ok: false; reason: string };

/** What the reading needs of the classified operation. */
export interface SystemdCallInput {
  path: string;
  member: string;
  args?: unknown[];
  message?: { member: string; body: unknown[] };
  withoutArgs?: boolean;
}

/**
 * Job modes and what they do. `isolate` stops every unit the target does not need, protected
 * ones included; `flush` cancels every other queued job; `replace-irreversibly` makes the jobs
 * impossible to cancel or replace (the manager's own shutdown uses it).
 */
const MODES: Record<string, string | undefined> = {
  fail: undefined,
  lenient: undefined,
  replace: undefined,
  'ignore-dependencies': undefined,
  'ignore-requirements': undefined,
  triggering: undefined,
  'restart-dependencies': undefined,
  isolate: 'isolate stops every other unit, protected ones included',
  flush: 'job mode flush cancels every other queued job, those of protected units included',
  'replace-irreversibly':
    'job mode replace-irreversibly makes the jobs impossible to cancel or replace (as the manager’s shutdown does)',
};

/** Job types (EnqueueJob) and the effect each has on its unit. */
const JOB_TYPES: Record<string, Effect> = {
  start: 'start',
  'verify-active': 'change',
  stop: 'stop',
  reload: 'reload',
  'reload-or-start': 'restart',
  restart: 'restart',
  'try-restart': 'restart',
  'try-reload': 'reload',
  nop: 'change',
};

/** Strips variants (a dbus-next Variant, or the JSON `{signature, value}` form) around a value. */
export function unwrap(v: unknown): unknown {
  for (let depth = 0; depth < 64; depth++) {
    if (isVariant(v)) v = v.value;
    else if (isJsonVariant(v)) v = v.value;
    else return v;
  }
  return undefined;
}

function isJsonVariant(v: unknown): v is { signature: string; value: unknown } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return (
    keys.length === 2 &&
    typeof (v as { signature?: unknown }).signature === 'string' &&
    keys.includes('value')
  );
}

function asString(v: unknown): string | undefined {
  const u = unwrap(v);
  return typeof u === 'string' ? u : undefined;
}

function asStrings(v: unknown): string[] | undefined {
  const u = unwrap(v);
  if (typeof u === 'string') return [u];
  if (!Array.isArray(u)) return undefined;
  const out: string[] = [];
  for (const x of u) {
    const s = asString(x);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function asInteger(v: unknown): number | undefined {
  const u = unwrap(v);
  if (typeof u === 'bigint') return Number(u);
  if (typeof u === 'number' && Number.isInteger(u)) return u;
  if (typeof u === 'string' && /^\d+$/.test(u)) return Number(u);
  return undefined;
}

function propertyNames(v: unknown): string[] | undefined {
  const u = unwrap(v);
  if (!Array.isArray(u)) return undefined;
  const out: string[] = [];
  for (const entry of u) {
    const e = unwrap(entry);
    const name = Array.isArray(e) ? asString(e[0]) : undefined;
    if (name === undefined) return undefined;
    out.push(name);
  }
  return out;
}

/** The arguments as they will be sent: the prepared message's typed values when there is one. */
function argumentsOf(input: SystemdCallInput): unknown[] | undefined {
  if (input.message && input.message.member === input.member) return input.message.body;
  return input.args;
}

function nameRef(given: string, effect: Effect, what: string): UnitRef | string {
  const m = mangleUnitName(given);
  if (!m.ok) return `${what}: ${m.reason}`;
  return { by: 'name', key: `name:${m.name}`, given, name: m.name, effect };
}

function fileRef(given: string, spec: SystemdMember): UnitRef | string {
  if (given.includes('/') && spec.installs) {
    return `unit file ${JSON.stringify(given)} is a path: installing a unit file from a path is arbitrary code execution`;
  }
  // Unit-file operations act on the file name (a path is judged by it); templates are unit files too.
  const name = fileNameOf(given);
  if (!isValidUnitName(name)) {
    return `unit file ${JSON.stringify(given)}: ${JSON.stringify(name)} is not a unit file name systemd accepts`;
  }
  return { by: 'name', key: `name:${name}`, given, name, effect: 'file' };
}

/**
 * The unit the object path of a call names, as far as the path tells (an escaped unit name); a path
 * naming it otherwise (an invocation id) is for the manager to tell, and `/unit/self` is the caller's.
 */
function pathRef(path: string, effect: Effect): UnitRef | string {
  if (path.startsWith(JOB_PATH_PREFIX)) return { by: 'job', key: `job:${path}`, path, effect };
  const label = unitFromPath(path);
  if (label === undefined) return `cannot tell which unit ${path} is (not a systemd unit object path)`;
  if (label === 'self') return `${path} is the caller’s own unit (dbus-mcp’s)`;
  const name = isValidUnitName(label, 'loadable') ? label : undefined;
  return { by: 'path', key: `path:${path}`, path, ...(name !== undefined ? { name } : {}), effect };
}

/**
 * Reads a unit-changing systemd call: the units and what happens to each, the job mode and the
 * properties set. Refuses (ok: false, with the reason) what the manager would read as the caller's
 * own unit, an argument of another shape than systemd's signature, a job mode that reaches every
 * unit, or a unit file given as a path to an operation that installs it.
 */
export function readSystemdCall(
  spec: SystemdMember,
  onObject: boolean,
  input: SystemdCallInput,
): CallReading {
  const roles = spec.args ?? [];
  const args = argumentsOf(input);
  const refuse = (reason: string): CallReading => ({ ok: false, reason });
  let effect: Effect = spec.effect ?? 'change';
  const call: SystemdCall = { refs: [], properties: [] };
  const explainingBlind = args === undefined && input.withoutArgs === true;
  if (!explainingBlind) {
    if (args === undefined && roles.length > 0) return refuse('the unit name is needed to judge this call');
    const given = args ?? [];
    if (given.length !== roles.length) {
      return refuse(
        `systemd's ${input.member} takes ${roles.length} argument(s) (${spec.signature ?? ''}), not ${given.length}: a call of another shape cannot be judged`,
      );
    }
    const jobType = roles.indexOf('job-type');
    if (jobType >= 0) {
      const t = asString(given[jobType]);
      const e = t === undefined ? undefined : JOB_TYPES[t];
      if (e === undefined)
        return refuse(`job type ${JSON.stringify(unwrap(given[jobType]))} cannot be judged`);
      effect = e;
    }
    for (const [i, role] of roles.entries()) {
      const r = readRole(role, given[i], i, effect, spec, input.member, call);
      if (r !== undefined) return refuse(r);
    }
  }
  if (onObject) {
    const ref = pathRef(input.path, effect);
    if (typeof ref === 'string') return refuse(ref);
    call.refs.push(ref);
  }
  return { ok: true, call };
}

function readRole(
  role: ArgRole,
  value: unknown,
  index: number,
  effect: Effect,
  spec: SystemdMember,
  member: string,
  call: SystemdCall,
): string | undefined {
  const what = `args[${index}] of ${member}`;
  const push = (ref: UnitRef | string): string | undefined => {
    if (typeof ref === 'string') return ref;
    call.refs.push(ref);
    return undefined;
  };
  switch (role) {
    case 'unit':
    case 'replaced': {
      const s = asString(value);
      if (s === undefined) return `${what} must be one unit name (a string): another shape cannot be judged`;
      return push(nameRef(s, role === 'unit' ? effect : 'change', `unit ${JSON.stringify(s)}`));
    }
    case 'units':
    case 'files': {
      const list = asStrings(value);
      if (list === undefined) return `${what} must be a list of unit names: another shape cannot be judged`;
      for (const s of list) {
        const r = push(role === 'files' ? fileRef(s, spec) : nameRef(s, effect, `unit ${JSON.stringify(s)}`));
        if (r) return r;
      }
      return undefined;
    }
    case 'mode': {
      const mode = asString(value);
      if (mode === undefined) return `${what} must be a job mode (a string): another shape cannot be judged`;
      if (!Object.hasOwn(MODES, mode)) return `job mode ${JSON.stringify(mode)} cannot be judged`;
      const danger = MODES[mode];
      if (danger) return danger;
      call.mode = mode;
      return undefined;
    }
    case 'job-type':
    case '-':
      return undefined;
    case 'props': {
      const names = propertyNames(value);
      if (names === undefined)
        return `${what} must be a list of (name, value) properties: another shape cannot be judged`;
      call.properties.push(...names);
      return undefined;
    }
    case 'pids': {
      const u = unwrap(value);
      const list = Array.isArray(u) ? u.map(asInteger) : undefined;
      if (list === undefined || list.some((p) => p === undefined))
        return `${what} must be a list of process ids`;
      for (const pid of list as number[]) {
        if (pid === 0)
          return 'process 0 is the caller itself (dbus-mcp): moving it changes dbus-mcp’s own unit';
        call.refs.push({ by: 'pid', key: `pid:${pid}`, pid, effect: 'change' });
      }
      return undefined;
    }
    case 'job-id': {
      const id = asInteger(value);
      if (id === undefined) return `${what} must be a job id`;
      call.refs.push({ by: 'job', key: `job:${id}`, id, effect: 'change' });
      return undefined;
    }
  }
}
