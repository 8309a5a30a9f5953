import type { CallReply, CallRequest } from './types.js';
import { DRIVER } from './well-known.js';

type Caller = (req: CallRequest) => Promise<CallReply>;
export type OwnerListener = (name: string, owner: string | undefined) => void;

/**
 * Who owns which well-known name on one connection's bus: loaded once (ListNames, then one
 * GetNameOwner per name through the connection's scheduler) when first needed, then kept up to
 * date from the driver's NameOwnerChanged, which the connection always listens to. The policy's
 * name resolution, the signal hub's sender tracking and the introspection cache all read it,
 * so a decision costs no bus round trip.
 *
 * A NameOwnerChanged that arrives while the load runs is newer than the load's answer for that
 * name and wins. A dropped connection forgets everything (`reset`); after the reconnect the map
 * is loaded again at once if it was used before (`connected`).
 */
export class OwnerTracker {
  readonly #call: Caller;
  readonly #owners = new Map<string, string>();
  readonly #listeners = new Set<OwnerListener>();
  #loaded = false;
  #loading: Promise<void> | undefined;
  /** Names NameOwnerChanged spoke about during the current load. */
  #touched: Set<string> | undefined;
  #generation = 0;
  #used = false;

  constructor(call: Caller) {
    this.#call = call;
  }

  /** The owner of well-known `name` (undefined: nobody, as far as the bus has told us). */
  async ownerOf(name: string): Promise<string | undefined> {
    await this.ready();
    return this.#owners.get(name);
  }

  /** The well-known names `owner` (a unique name) holds. */
  async namesOwnedBy(owner: string): Promise<string[]> {
    await this.ready();
    const out: string[] = [];
    for (const [name, o] of this.#owners) if (o === owner) out.push(name);
    return out;
  }

  /** The owner as currently known, without waiting (undefined before the first load). */
  current(name: string): string | undefined {
    return this.#owners.get(name);
  }

  /** Resolves once the map is loaded; rejects when ListNames fails (the next call tries again). */
  ready(): Promise<void> {
    this.#used = true;
    if (this.#loaded) return Promise.resolve();
    this.#loading ??= this.#load();
    return this.#loading;
  }

  /** Called for every NameOwnerChanged (unique names too: listeners drop what they cached for them). */
  onChange(listener: OwnerListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Feeds one NameOwnerChanged(name, old, new); `owner` '' means the name was released. */
  nameOwnerChanged(name: string, owner: string): void {
    const next = owner === '' ? undefined : owner;
    if (!name.startsWith(':')) {
      if (next === undefined) this.#owners.delete(name);
      else this.#owners.set(name, next);
      this.#touched?.add(name);
    }
    for (const listener of [...this.#listeners]) listener(name, next);
  }

  /** The connection dropped: nothing known is true any more. */
  reset(): void {
    this.#generation++;
    this.#owners.clear();
    this.#loaded = false;
    this.#loading = undefined;
    this.#touched = undefined;
  }

  /** A (re)connection is ready: reload now if someone relies on the map. */
  connected(): void {
    if (this.#used && !this.#loaded) void this.ready().catch(() => undefined);
  }

  async #load(): Promise<void> {
    const generation = this.#generation;
    const touched = new Set<string>();
    this.#touched = touched;
    const current = () => generation === this.#generation;
    try {
      const list = await this.#call({ ...DRIVER, member: 'ListNames', noAutoStart: true });
      const names = ((list.body[0] ?? []) as string[]).filter(
        (n) => !n.startsWith(':') && n !== DRIVER.destination,
      );
      await Promise.all(
        names.map(async (name) => {
          try {
            const reply = await this.#call({
              ...DRIVER,
              member: 'GetNameOwner',
              signature: 's',
              body: [name],
              noAutoStart: true,
            });
            if (current() && !touched.has(name)) this.#owners.set(name, String(reply.body[0]));
          } catch {
            // Gone meanwhile (NameHasNoOwner) or not answered: NameOwnerChanged tells us when it is back.
          }
        }),
      );
      if (current()) this.#loaded = true;
    } finally {
      if (current()) {
        this.#loading = undefined;
        this.#touched = undefined;
      }
    }
  }
}
