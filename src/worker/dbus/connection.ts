// About 300 lines: one class, the life of one connection (calls, match rules, signals, reconnects).
import { MessageType } from 'dbus-next';
import type { Message } from 'dbus-next';
import type { Config } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { callAborted, dropLink, openLink, sendOnLink } from './bus-link.js';
import type { Link } from './bus-link.js';
import { IntrospectionCache } from './introspection-cache.js';
import { OwnerTracker } from './owners.js';
import { AbortWatch, CallScheduler } from './scheduler.js';
import { assertBusName, assertInterfaceName, assertMemberName, assertObjectPath } from './names.js';
import { parseSignature } from './signature.js';
import type { BusKind, CallOptions, CallReply, CallRequest, SignalMessage } from './types.js';
import { DRIVER, NAME_OWNER_CHANGED_RULE } from './well-known.js';

/** What a connection reads from the configuration, per call (a reload applies to the next call). */
export type ConnectionSettings = Pick<Config, 'CALL_TIMEOUT_MS' | 'MAX_CONCURRENT_CALLS'>;

const RECONNECT_MAX_MS = 10_000;

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
 * validated before anything is sent, waits for a slot of the connection's scheduler
 * (MAX_CONCURRENT_CALLS: tool calls, introspection, owner look-ups and match rules share it), has
 * its own timeout (CALL_TIMEOUT_MS unless given) and may be aborted; a dropped connection rejects
 * every pending call at once (DBUS_DISCONNECTED) and the next call reconnects, re-adding the match
 * rules held through `addMatch`. It follows name owners (`owners`) and keeps an introspection
 * cache that a change of owner invalidates.
 */
export class BusConnection {
  readonly kind: BusKind;
  readonly introspection: IntrospectionCache;
  /** Who owns which name, from one load plus NameOwnerChanged. */
  readonly owners: OwnerTracker;
  readonly #address: string;
  readonly #settings: () => ConnectionSettings;
  readonly #log: Logger;
  readonly #aborts = new AbortWatch();
  readonly #scheduler: CallScheduler;
  #link: Link | undefined;
  #closed = false;
  readonly #matches = new Map<string, { count: number; install: Promise<void> }>();
  readonly #listeners = new Set<(msg: SignalMessage) => void>();
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelay = 250;

  constructor(opts: { kind: BusKind; address: string; config: () => ConnectionSettings; log: Logger }) {
    this.kind = opts.kind;
    this.#address = opts.address;
    this.#settings = opts.config;
    this.#log = opts.log;
    this.#scheduler = new CallScheduler(() => this.#settings().MAX_CONCURRENT_CALLS, this.#aborts);
    this.introspection = new IntrospectionCache((req, o) => this.call(req, o));
    this.owners = new OwnerTracker((req) => this.call(req));
    this.owners.onChange((name) => this.introspection.invalidate(name));
  }

  /** The address this connection dials (as configured; `guid=` is dropped when dialling). */
  get address(): string {
    return this.#address;
  }

  /**
   * Sends a method call and resolves with the reply. Rejects with the validation error
   * (nothing sent), DBusCallError for an error reply, DBUS_TIMEOUT, DBUS_CALL_ABORTED,
   * DBUS_DISCONNECTED or DBUS_CONNECT_FAILED. The timeout counts from when the call leaves
   * the scheduler's queue.
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
   * Registers a listener for every signal this connection receives that is broadcast or addressed
   * to it (those matching any held rule, NameOwnerChanged, and signals unicast to us); signals an
   * eavesdrop rule brings in for other peers are dropped. Returns the unsubscribe function.
   */
  onSignal(listener: (msg: SignalMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Well-known names currently owned by `owner` (a unique name). */
  async namesOwnedBy(owner: string): Promise<string[]> {
    assertBusName(owner, 'owner');
    return this.owners.namesOwnedBy(owner);
  }

  /**
   * The unique name owning the well-known `name`, or undefined when the bus has not said anyone
   * does (not running, or so new that its NameOwnerChanged is still on its way: ask the bus then).
   */
  async ownerOf(name: string): Promise<string | undefined> {
    return this.owners.ownerOf(name);
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

  /** AddMatch/RemoveMatch on `link`; `queued: false` for the re-adds while connecting (see #onConnected). */
  #driverCall(
    link: Link,
    member: 'AddMatch' | 'RemoveMatch',
    rule: string,
    queued = true,
  ): Promise<CallReply> {
    const req: CallRequest = { ...DRIVER, member, signature: 's', body: [rule], noAutoStart: true };
    if (!queued) return this.#send(req, {}, link);
    return this.#request(req, {}, link);
  }

  #connected(): Promise<Link> {
    if (this.#closed) {
      return Promise.reject(new AppError('DBUS_DISCONNECTED', `the ${this.kind} bus connection is closed`));
    }
    const link = this.#link ?? this.#open();
    return link.ready.then(() => link);
  }

  #open(): Link {
    const link = openLink(this.kind, this.#address, this.#settings().CALL_TIMEOUT_MS, {
      onMessage: (l, msg) => this.#onMessage(l, msg),
      onConnected: (l) => this.#onConnected(l),
      onDropped: (l, reason) => this.#onDropped(l, reason),
    });
    // A link that failed synchronously (an address dbus-next cannot dial) is already dropped.
    if (!link.dead) this.#link = link;
    return link;
  }

  /**
   * Our own NameOwnerChanged match first, then every rule held (from before a reconnect). These
   * bypass the scheduler: calls holding a slot may be waiting for this very connection to be ready.
   */
  async #onConnected(link: Link): Promise<void> {
    this.#log.debug({ address: link.address, unique: link.unique }, 'bus connected');
    this.#reconnectDelay = 250;
    const rules = [NAME_OWNER_CHANGED_RULE, ...this.#matches.keys()];
    for (const rule of rules) link.installed.add(rule);
    await Promise.all(
      rules.map((rule) =>
        this.#driverCall(link, 'AddMatch', rule, false).catch((err: unknown) => {
          this.#log.warn({ err, rule }, 'addmatch failed');
        }),
      ),
    );
    queueMicrotask(() => this.owners.connected());
  }

  #onDropped(link: Link, reason: string): void {
    if (this.#link === link) this.#link = undefined;
    this.introspection.invalidate();
    this.owners.reset();
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

  #onMessage(link: Link, msg: Message): void {
    if (msg.type !== MessageType.SIGNAL) return;
    // Only broadcasts and signals unicast to us; an eavesdrop rule brings in others' too.
    if (msg.destination && msg.destination !== link.unique) return;
    const body = (msg.body ?? []) as unknown[];
    if (
      msg.sender === DRIVER.destination &&
      msg.path === DRIVER.path &&
      msg.interface === DRIVER.interface &&
      msg.member === 'NameOwnerChanged' &&
      typeof body[0] === 'string' &&
      typeof body[2] === 'string'
    ) {
      this.owners.nameOwnerChanged(body[0], body[2]);
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

  /** A validated request through the scheduler, on `pinned` (failing if it is gone) or the current link. */
  #request(req: CallRequest, opts: CallOptions, pinned?: Link): Promise<CallReply> {
    return this.#scheduler.run(
      () => this.#send(req, opts, pinned),
      opts.signal,
      () => callAborted(this.kind, req),
    );
  }

  #send(req: CallRequest, opts: CallOptions, pinned?: Link): Promise<CallReply> {
    const timeoutMs = opts.timeoutMs ?? this.#settings().CALL_TIMEOUT_MS;
    const target = pinned ?? this.#connected();
    return sendOnLink(target, req, { ...opts, timeoutMs, aborts: this.#aborts }, this.kind);
  }
}
