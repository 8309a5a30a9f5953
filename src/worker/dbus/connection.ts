import { MessageType } from 'dbus-next';
import type { Message } from 'dbus-next';
import type { Config } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { dropLink, openLink, sendOnLink } from './bus-link.js';
import type { Link } from './bus-link.js';
import { IntrospectionCache } from './introspection-cache.js';
import { assertBusName, assertInterfaceName, assertMemberName, assertObjectPath } from './names.js';
import { parseSignature } from './signature.js';
import type { BusKind, CallOptions, CallReply, CallRequest, SignalMessage } from './types.js';
import { DRIVER, NAME_OWNER_CHANGED_RULE } from './well-known.js';

export type { BusKind, CallOptions, CallReply, CallRequest, SignalMessage } from './types.js';

/** How long a `namesOwnedBy` snapshot is trusted; NameOwnerChanged drops it sooner. */
const OWNERS_TTL_MS = 2000;
const RECONNECT_MAX_MS = 10_000;

/** Resolves the address of a bus: config, else the standard variable, else the standard path. */
export function resolveBusAddress(
  kind: BusKind,
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (kind === 'session') {
    if (config.SESSION_BUS_ADDRESS) return config.SESSION_BUS_ADDRESS;
    if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
    const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
    return `unix:path=${runtimeDir}/bus`;
  }
  if (config.SYSTEM_BUS_ADDRESS) return config.SYSTEM_BUS_ADDRESS;
  if (env.DBUS_SYSTEM_BUS_ADDRESS) return env.DBUS_SYSTEM_BUS_ADDRESS;
  return 'unix:path=/run/dbus/system_bus_socket';
}

export { stripGuid } from './bus-link.js';

function validate(req: CallRequest): void {
  assertBusName(req.destination, 'destination');
  assertObjectPath(req.path, 'path');
  if (req.interface !== undefined) assertInterfaceName(req.interface, 'interface');
  assertMemberName(req.member, 'member');
  const signature = req.signature ?? '';
  const count = signature === '' ? 0 : parseSignature(signature).length;
  const given = req.body?.length ?? 0;
  if (count !== given) {
    throw new AppError(
      'VALUE_CONVERSION',
      `signature '${signature}' describes ${count} argument(s) but ${given} were given`,
    );
  }
}

/**
 * One bus connection, opened lazily on first use and reopened after it drops. Every call is
 * validated before anything is sent, has its own timeout and may be aborted; a dropped
 * connection rejects every pending call at once (DBUS_DISCONNECTED) and the next call
 * reconnects, re-adding the match rules held through `addMatch`.
 */
export class BusConnection {
  readonly kind: BusKind;
  readonly introspection: IntrospectionCache;
  readonly #address: string;
  readonly #callTimeoutMs: number;
  readonly #log: Logger;
  #link: Link | undefined;
  #closed = false;
  readonly #matches = new Map<string, { count: number; install: Promise<void> }>();
  readonly #listeners = new Set<(msg: SignalMessage) => void>();
  #owners: { at: number; map: Promise<Map<string, string[]>> } | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelay = 250;

  constructor(opts: { kind: BusKind; address: string; callTimeoutMs: number; log: Logger }) {
    this.kind = opts.kind;
    this.#address = opts.address;
    this.#callTimeoutMs = opts.callTimeoutMs;
    this.#log = opts.log;
    this.introspection = new IntrospectionCache((req, o) => this.call(req, o));
  }

  /** The address this connection dials (as configured; `guid=` is dropped when dialling). */
  get address(): string {
    return this.#address;
  }

  /**
   * Sends a method call and resolves with the reply. Rejects with the validation error
   * (nothing sent), DBusCallError for an error reply, DBUS_TIMEOUT, DBUS_CALL_ABORTED,
   * DBUS_DISCONNECTED or DBUS_CONNECT_FAILED.
   */
  async call(req: CallRequest, opts: CallOptions = {}): Promise<CallReply> {
    validate(req);
    return this.#request(req, opts);
  }

  /** The unique name (`:1.42`) of this connection; connects if needed. */
  async uniqueName(): Promise<string> {
    return (await this.#connected()).unique;
  }

  /**
   * Holds a match rule: the first holder sends AddMatch, later ones only count. Held rules are
   * re-added after a reconnect. Rejects (and holds nothing) when the bus refuses the rule.
   */
  async addMatch(rule: string): Promise<void> {
    const held = this.#matches.get(rule);
    if (held) {
      held.count++;
      try {
        await held.install;
      } catch (e) {
        await this.removeMatch(rule);
        throw e;
      }
      return;
    }
    const entry = { count: 1, install: this.#install(rule) };
    this.#matches.set(rule, entry);
    try {
      await entry.install;
    } catch (e) {
      await this.removeMatch(rule);
      throw e;
    }
  }

  async #install(rule: string): Promise<void> {
    const link = await this.#connected();
    if (!this.#matches.has(rule) || link.installed.has(rule)) return;
    link.installed.add(rule);
    try {
      await this.#driverCall(link, 'AddMatch', rule);
    } catch (e) {
      link.installed.delete(rule); // refused (or the link dropped): nothing to remove later
      throw e;
    }
  }

  /** Releases one hold on a rule; the last release sends RemoveMatch. Unknown rules are ignored. */
  async removeMatch(rule: string): Promise<void> {
    const held = this.#matches.get(rule);
    if (!held) return;
    if (--held.count > 0) return;
    this.#matches.delete(rule);
    const link = this.#link;
    if (!link || link.dead || !link.installed.has(rule)) return;
    link.installed.delete(rule);
    try {
      await this.#driverCall(link, 'RemoveMatch', rule);
    } catch (e) {
      // A dropped connection takes its rules with it; anything else is worth a line in the log.
      if (!link.dead) this.#log.warn({ err: e, rule }, 'removematch failed');
    }
  }

  /**
   * Registers a listener for every signal this connection receives (those matching any held
   * rule, NameOwnerChanged, and signals unicast to us). Returns the unsubscribe function.
   */
  onSignal(listener: (msg: SignalMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Well-known names currently owned by `owner` (a unique name), from a short-lived snapshot. */
  async namesOwnedBy(owner: string, opts: CallOptions = {}): Promise<string[]> {
    assertBusName(owner, 'owner');
    const map = await this.#ownerMap(opts);
    return [...(map.get(owner) ?? [])];
  }

  /**
   * The unique name owning the well-known `name` per the same snapshot, or undefined when the
   * snapshot does not list it (not running, or newer than the snapshot: ask the bus then).
   */
  async ownerOf(name: string, opts: CallOptions = {}): Promise<string | undefined> {
    const map = await this.#ownerMap(opts);
    for (const [owner, names] of map) if (names.includes(name)) return owner;
    return undefined;
  }

  #ownerMap(opts: CallOptions): Promise<Map<string, string[]>> {
    if (this.#owners && Date.now() - this.#owners.at < OWNERS_TTL_MS) return this.#owners.map;
    const map = (async () => {
      const list = await this.call({ ...DRIVER, member: 'ListNames' }, opts);
      const names = ((list.body[0] ?? []) as string[]).filter((n) => !n.startsWith(':'));
      const owners = await Promise.allSettled(
        names.map((n) => this.call({ ...DRIVER, member: 'GetNameOwner', signature: 's', body: [n] }, opts)),
      );
      const out = new Map<string, string[]>();
      owners.forEach((r, i) => {
        if (r.status !== 'fulfilled') return; // the name went away meanwhile
        const owner = String(r.value.body[0]);
        out.set(owner, [...(out.get(owner) ?? []), names[i] ?? '']);
      });
      return out;
    })();
    const snapshot = { at: Date.now(), map };
    this.#owners = snapshot;
    map.catch(() => {
      if (this.#owners === snapshot) this.#owners = undefined;
    });
    return map;
  }

  /** Closes the connection for good: pending calls reject, later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const link = this.#link;
    if (link) dropLink(link, 'the connection was closed');
    this.#listeners.clear();
    this.#matches.clear();
  }

  #driverCall(link: Link, member: 'AddMatch' | 'RemoveMatch', rule: string): Promise<CallReply> {
    return this.#request({ ...DRIVER, member, signature: 's', body: [rule] }, {}, link);
  }

  #connected(): Promise<Link> {
    if (this.#closed) {
      return Promise.reject(new AppError('DBUS_DISCONNECTED', `the ${this.kind} bus connection is closed`));
    }
    const link = this.#link ?? this.#open();
    return link.ready.then(() => link);
  }

  #open(): Link {
    const link = openLink(this.kind, this.#address, this.#callTimeoutMs, {
      onMessage: (l, msg) => this.#onMessage(msg),
      onConnected: (l) => this.#onConnected(l),
      onDropped: (l, reason) => this.#onDropped(l, reason),
    });
    // A link that failed synchronously (an address dbus-next cannot dial) is already dropped.
    if (!link.dead) this.#link = link;
    return link;
  }

  /** Our own NameOwnerChanged match first, then every rule held (from before a reconnect). */
  async #onConnected(link: Link): Promise<void> {
    this.#log.debug({ address: link.address, unique: link.unique }, 'bus connected');
    this.#reconnectDelay = 250;
    const rules = [NAME_OWNER_CHANGED_RULE, ...this.#matches.keys()];
    for (const rule of rules) link.installed.add(rule);
    await Promise.all(
      rules.map((rule) =>
        this.#driverCall(link, 'AddMatch', rule).catch((err: unknown) => {
          this.#log.warn({ err, rule }, 'addmatch failed');
        }),
      ),
    );
  }

  #onDropped(link: Link, reason: string): void {
    if (this.#link === link) this.#link = undefined;
    this.introspection.invalidate();
    this.#owners = undefined;
    // A failed connect is reported to the caller; only a lost live connection is news.
    if (this.#closed || !link.connected) return;
    this.#log.warn({ address: link.address, reason }, 'bus connection lost');
    if (this.#matches.size > 0) this.#scheduleReconnect();
  }

  /** Held match rules mean someone waits for signals: reconnect without waiting for a call. */
  #scheduleReconnect(): void {
    if (this.#reconnectTimer) return;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#closed || this.#matches.size === 0 || this.#link) return;
      this.#connected().catch(() => {
        this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, RECONNECT_MAX_MS);
        this.#scheduleReconnect();
      });
    }, this.#reconnectDelay);
    this.#reconnectTimer.unref();
  }

  #onMessage(msg: Message): void {
    if (msg.type !== MessageType.SIGNAL) return;
    const body = (msg.body ?? []) as unknown[];
    if (
      msg.sender === DRIVER.destination &&
      msg.path === DRIVER.path &&
      msg.interface === DRIVER.interface &&
      msg.member === 'NameOwnerChanged'
    ) {
      const name = body[0];
      if (typeof name === 'string') this.introspection.invalidate(name);
      this.#owners = undefined;
    }
    const signal: SignalMessage = {
      sender: msg.sender ?? '',
      path: msg.path ?? '',
      interface: msg.interface ?? '',
      member: msg.member ?? '',
      signature: msg.signature ?? '',
      body,
    };
    for (const listener of [...this.#listeners]) {
      try {
        listener(signal);
      } catch (err) {
        this.#log.warn({ err, member: signal.member }, 'signal listener threw');
      }
    }
  }

  /** Sends a validated request on `pinned` (failing if it is gone) or on the current connection. */
  #request(req: CallRequest, opts: CallOptions, pinned?: Link): Promise<CallReply> {
    const timeoutMs = opts.timeoutMs ?? this.#callTimeoutMs;
    return sendOnLink(pinned ?? this.#connected(), req, { ...opts, timeoutMs }, this.kind);
  }
}

/** The session and system connections of one worker, created on first use. */
export class BusManager {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #env: NodeJS.ProcessEnv;
  readonly #connections = new Map<BusKind, BusConnection>();

  constructor(config: Config, log: Logger, env: NodeJS.ProcessEnv = process.env) {
    this.#config = config;
    this.#log = log;
    this.#env = env;
  }

  get(kind: BusKind): BusConnection {
    let conn = this.#connections.get(kind);
    if (!conn) {
      conn = new BusConnection({
        kind,
        address: resolveBusAddress(kind, this.#config, this.#env),
        callTimeoutMs: this.#config.CALL_TIMEOUT_MS,
        log: this.#log.child({ bus: kind }),
      });
      this.#connections.set(kind, conn);
    }
    return conn;
  }

  /** Closes both connections; a later `get` opens fresh ones. */
  async closeAll(): Promise<void> {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
