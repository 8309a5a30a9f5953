import type { BusConnection } from '../dbus/connection.js';
import { assertBusName } from '../dbus/names.js';
import type { BusKind, CallReply } from '../dbus/types.js';
import { DRIVER } from '../dbus/well-known.js';

/** What a driver read may be given: the request's cancellation. */
export interface DriverOptions {
  signal?: AbortSignal;
}

/**
 * The bus-driver reads tools and resources make without a policy decision: the short list of
 * questions about the bus itself (which names exist, who owns one, which process), all answered
 * by `org.freedesktop.DBus`, each sent with NO_AUTO_START through the connection's scheduler.
 * Nothing else reaches a bus outside `Gate.run`.
 */
export class DriverReads {
  readonly #conn: (bus: BusKind) => BusConnection;

  constructor(conn: (bus: BusKind) => BusConnection) {
    this.#conn = conn;
  }

  /** Every name on the bus, unique names included (ListNames). */
  async listNames(bus: BusKind, opts: DriverOptions = {}): Promise<string[]> {
    return strings((await this.#ask(bus, 'ListNames', [], opts)).body[0]);
  }

  /** Names the bus can start on demand (ListActivatableNames). */
  async listActivatableNames(bus: BusKind, opts: DriverOptions = {}): Promise<string[]> {
    return strings((await this.#ask(bus, 'ListActivatableNames', [], opts)).body[0]);
  }

  /** Whether someone owns `name` now (NameHasOwner). */
  async nameHasOwner(bus: BusKind, name: string, opts: DriverOptions = {}): Promise<boolean> {
    assertBusName(name, 'name');
    return (await this.#ask(bus, 'NameHasOwner', [name], opts)).body[0] === true;
  }

  /** The unique name owning `name` (GetNameOwner); rejects with NameHasNoOwner when nobody does. */
  async getNameOwner(bus: BusKind, name: string, opts: DriverOptions = {}): Promise<string> {
    assertBusName(name, 'name');
    return String((await this.#ask(bus, 'GetNameOwner', [name], opts)).body[0]);
  }

  /** The pid of the process owning `name` (GetConnectionUnixProcessID). */
  async getConnectionUnixProcessID(bus: BusKind, name: string, opts: DriverOptions = {}): Promise<number> {
    assertBusName(name, 'name');
    return Number((await this.#ask(bus, 'GetConnectionUnixProcessID', [name], opts)).body[0]);
  }

  /** This worker's own unique name on `bus` (connects if needed). */
  uniqueName(bus: BusKind): Promise<string> {
    return this.#conn(bus).uniqueName();
  }

  #ask(bus: BusKind, member: string, args: string[], opts: DriverOptions): Promise<CallReply> {
    const signature = args.length > 0 ? 's' : '';
    return this.#conn(bus).call(
      { ...DRIVER, member, signature, body: args, noAutoStart: true },
      { signal: opts.signal },
    );
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}
