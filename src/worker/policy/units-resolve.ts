/**
 * Asks the systemd manager about the units a call names, before the call is judged: `LoadUnit`
 * (else `GetUnit`) for a name, `GetJob` and the job's `Unit` for a job, `GetUnitByPID` for a
 * process, then `Properties.GetAll(org.freedesktop.systemd1.Unit)` of the unit object: its Id,
 * Names, Following, state, *Action= settings and dependencies. Then the same for the units the
 * change would start or stop through those dependencies, transitively, at most MAX_UNITS_ASKED in
 * all. Nothing here starts anything: every message carries NO_AUTO_START, loading a unit is not
 * starting it, and the calls go through the connection's scheduler like every other call. A
 * question the manager does not answer leaves that unit to be judged on its name alone.
 */
import type { CallRequest } from '../dbus/types.js';
import { unwrapVariant } from '../dbus/values/index.js';
import { PROPERTIES } from '../dbus/well-known.js';
import type { PolicyConnection, ResolvedOperation } from './resolve.js';
import type { UnitRef } from './units-call.js';
import type { SystemdAnswers, UnitFacts } from './units.js';
import { MAX_UNITS_ASKED, refusedOnItsFace, systemdCallOf, walkEffects } from './units.js';

const UNIT_IFACE = 'org.freedesktop.systemd1.Unit';
const JOB_IFACE = 'org.freedesktop.systemd1.Job';
const MANAGER = { path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager' };
/** A look-up that takes longer than this is an answer the manager did not give. */
const LOOKUP_TIMEOUT_MS = 5_000;

class Asker {
  asked = 0;
  constructor(
    private readonly conn: PolicyConnection,
    private readonly destination: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async #call(req: Omit<CallRequest, 'destination' | 'noAutoStart'>): Promise<unknown[]> {
    const reply = await this.conn.call(
      { ...req, destination: this.destination, noAutoStart: true },
      { signal: this.signal, timeoutMs: LOOKUP_TIMEOUT_MS },
    );
    return reply.body;
  }

  async #manager(member: string, signature: string, body: unknown[]): Promise<string> {
    const [path] = await this.#call({ ...MANAGER, member, signature, body });
    if (typeof path !== 'string') throw new Error(`${member} did not answer an object path`);
    return path;
  }

  /** The unit object of a name: LoadUnit, or GetUnit where the manager has no LoadUnit. */
  async #pathOfName(name: string): Promise<string> {
    try {
      return await this.#manager('LoadUnit', 's', [name]);
    } catch {
      return this.#manager('GetUnit', 's', [name]);
    }
  }

  /** The facts of the unit at `path`, or null when the manager does not say. */
  async factsAt(path: string): Promise<UnitFacts | null> {
    this.asked++;
    try {
      const [all] = await this.#call({
        path,
        interface: PROPERTIES,
        member: 'GetAll',
        signature: 's',
        body: [UNIT_IFACE],
      });
      if (typeof all !== 'object' || all === null) return null;
      const props: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(all)) props[k] = unwrapVariant(v);
      const id = typeof props.Id === 'string' ? props.Id : '';
      const names = [id, ...(Array.isArray(props.Names) ? props.Names : []), props.Following].filter(
        (n): n is string => typeof n === 'string' && n !== '',
      );
      if (names.length === 0) return null;
      return {
        id: id || (names[0] as string),
        names: [...new Set(names)],
        activeState: String(props.ActiveState ?? ''),
        props,
      };
    } catch {
      return null;
    }
  }

  async factsOfName(name: string): Promise<UnitFacts | null> {
    try {
      return await this.factsAt(await this.#pathOfName(name));
    } catch {
      this.asked++;
      return null;
    }
  }

  async factsOf(ref: UnitRef): Promise<UnitFacts | null> {
    try {
      switch (ref.by) {
        case 'name':
          return await this.factsOfName(ref.name);
        case 'path':
          return await this.factsAt(ref.path);
        case 'pid':
          return await this.factsAt(await this.#manager('GetUnitByPID', 'u', [ref.pid]));
        case 'job': {
          const path = ref.path ?? (await this.#manager('GetJob', 'u', [ref.id]));
          const [unit] = await this.#call({
            path,
            interface: PROPERTIES,
            member: 'Get',
            signature: 'ss',
            body: [JOB_IFACE, 'Unit'],
          });
          const value = unwrapVariant(unit);
          const unitPath = Array.isArray(value) ? value[1] : undefined;
          return typeof unitPath === 'string' ? await this.factsAt(unitPath) : null;
        }
      }
    } catch {
      return null;
    }
  }
}

/**
 * The manager's answers about a resolved systemd operation, or undefined when it changes no unit
 * (or is refused on its face, so there is nothing to ask).
 */
export async function askSystemd(
  op: ResolvedOperation,
  conn: PolicyConnection,
  signal?: AbortSignal,
): Promise<SystemdAnswers | undefined> {
  const reading = systemdCallOf(op.interface, op);
  if (!reading?.ok || reading.call.refs.length === 0 || refusedOnItsFace(reading.call)) return undefined;
  const asker = new Asker(conn, op.destination, signal);
  const answers: SystemdAnswers = { refs: {}, units: {}, truncated: false };
  if (reading.call.refs.length > MAX_UNITS_ASKED) return { ...answers, truncated: true };
  const remember = (facts: UnitFacts | null, name?: string): void => {
    if (name !== undefined) answers.units[name] = facts;
    if (facts) for (const n of facts.names) answers.units[n] = facts;
  };
  await Promise.all(
    reading.call.refs.map(async (ref) => {
      const facts = await asker.factsOf(ref);
      answers.refs[ref.key] = facts;
      remember(facts, ref.by === 'name' ? ref.name : undefined);
    }),
  );
  const roots = reading.call.refs.flatMap((ref) => {
    const facts = answers.refs[ref.key];
    return facts ? [{ facts, effect: ref.effect, label: facts.id }] : [];
  });
  for (;;) {
    const { missing } = walkEffects(roots, answers);
    if (missing.length === 0) break;
    if (asker.asked + missing.length > MAX_UNITS_ASKED) {
      answers.truncated = true;
      break;
    }
    await Promise.all(missing.map(async (name) => remember(await asker.factsOfName(name), name)));
  }
  return answers;
}
