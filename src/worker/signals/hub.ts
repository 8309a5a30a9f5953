import { randomUUID } from 'node:crypto';
import type { Config } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BusKind, SignalMessage } from '../dbus/types.js';
import type { JsonValue } from '../dbus/values/index.js';
import { DRIVER } from '../dbus/well-known.js';
import type { Gate, SignalSource } from '../gate/gate.js';
import type { MatchHold } from '../gate/operation.js';
import type { OperationContext } from '../mcp/context.js';
import type { OperationRequest } from '../policy/index.js';
import { EventQueue } from './queue.js';
import type { ReadResult, SignalEvent, SubscriptionInfo } from './types.js';
import type { SignalFilter } from './match-rule.js';
import { buildMatchRule, filterMatches, validateFilter } from './match-rule.js';
import type { Subscription } from './subscription.js';
import { infoOf, record, signalArgs, waitForSignal } from './subscription.js';
import { SystemdSubscription, needsSystemd } from './systemd-subscription.js';

export type { ReadResult, SignalEvent, SubscriptionInfo } from './types.js';

/** Longest a read may wait for signals to arrive. */
export const MAX_READ_WAIT_MS = 60_000;
/** Most signals one read returns. */
export const MAX_READ_COUNT = 1000;

interface BusState {
  source: SignalSource;
  unlisten: () => void;
  systemd: SystemdSubscription;
}

/**
 * What the policy judges for a subscription: a read of the sender — so an operator deny rule on a
 * service also covers its signals — by AddMatch of the subscription's rule.
 */
export function subscriptionRequest(filter: SignalFilter, rule: string): OperationRequest {
  return {
    bus: filter.bus,
    destination: filter.sender ?? DRIVER.destination,
    path: filter.path ?? filter.path_namespace ?? DRIVER.path,
    interface: DRIVER.interface,
    member: 'AddMatch',
    access: 'call',
    kind: 'read',
    signature: 's',
    args: [rule],
  };
}

/**
 * Per-worker signal subscriptions. Each is judged by the policy (through the gate) and then holds
 * one match rule through the connection's refcounted addMatch (the rule leaves the bus with its
 * last holder), a bounded queue that drops the oldest signal when full and counts it, and waiters
 * for bounded reads. `close()` ends every subscription and releases every rule.
 */
export class SignalHub {
  readonly #gate: Pick<Gate, 'run' | 'signalSource'>;
  readonly #config: () => Config;
  readonly #log: Logger;
  readonly #subs = new Map<string, Subscription>();
  readonly #states = new Map<BusKind, BusState>();
  readonly #listeners = new Set<(event: SignalEvent, sub: SubscriptionInfo) => void>();
  readonly #changeListeners = new Set<() => void>();
  #reserved = 0;
  #closed = false;

  constructor(opts: { gate: Pick<Gate, 'run' | 'signalSource'>; config: () => Config; log: Logger }) {
    this.#gate = opts.gate;
    this.#config = opts.config;
    this.#log = opts.log;
  }

  /**
   * Validates the filter, has the policy judge it (subscriptionRequest), installs its match rule
   * and starts buffering. Rejects past MAX_SUBSCRIPTIONS, and as the gate does when refused.
   */
  async subscribe(input: SignalFilter, octx: OperationContext = {}): Promise<SubscriptionInfo> {
    if (this.#closed) throw new AppError('SUBSCRIPTION_UNKNOWN', 'the signal hub is closed');
    const filter = validateFilter(input);
    const rule = buildMatchRule(filter);
    return this.#gate.run(subscriptionRequest(filter, rule), octx, (op) =>
      this.#add(filter, rule, () => op.holdMatch()),
    );
  }

  async #add(filter: SignalFilter, rule: string, hold: () => Promise<MatchHold>): Promise<SubscriptionInfo> {
    const max = this.#config().MAX_SUBSCRIPTIONS;
    if (this.#subs.size + this.#reserved >= max) {
      throw new AppError(
        'SUBSCRIPTION_LIMIT',
        `this client already has ${this.#subs.size} signal subscriptions (MAX_SUBSCRIPTIONS=${max}); ` +
          'unsubscribe_signals the ones you no longer need',
        { details: { max } },
      );
    }
    this.#reserved++;
    const state = this.#state(filter.bus);
    const sub: Subscription = {
      id: `sig-${randomUUID().slice(0, 8)}`,
      bus: filter.bus,
      filter,
      rule,
      createdAt: new Date().toISOString(),
      queue: new EventQueue(this.#config().SIGNAL_BUFFER_SIZE),
      received: 0,
      systemd: needsSystemd(filter),
      hold: undefined,
      ended: false,
      waiters: new Set(),
    };
    try {
      // A well-known sender is matched by its current owner (signals carry unique names).
      if (filter.sender && !filter.sender.startsWith(':')) await state.source.owners.ready();
      this.#subs.set(sub.id, sub); // before AddMatch: a signal may follow its reply in the same read
      try {
        sub.hold = await hold(); // a refused rule holds nothing
      } catch (e) {
        this.#subs.delete(sub.id);
        throw e;
      }
      if (sub.systemd) await state.systemd.retain();
    } finally {
      this.#reserved--;
    }
    if (this.#closed) {
      await this.#end(sub);
      throw new AppError('SUBSCRIPTION_UNKNOWN', 'the signal hub closed while subscribing');
    }
    this.#log.debug({ id: sub.id, rule, bus: sub.bus }, 'signal subscription added');
    this.#changed();
    return infoOf(sub);
  }

  /**
   * Takes up to `max` buffered signals. With nothing buffered and `waitMs` > 0 it waits until a
   * signal arrives, the time is up, the subscription ends or `signal` aborts — whichever first.
   */
  async read(
    id: string,
    opts: { max?: number; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<ReadResult> {
    const sub = this.#get(id);
    const max = Math.min(Math.max(opts.max ?? 100, 1), MAX_READ_COUNT);
    const waitMs = Math.min(Math.max(opts.waitMs ?? 0, 0), MAX_READ_WAIT_MS);
    if (sub.queue.length === 0 && waitMs > 0 && !sub.ended && !opts.signal?.aborted) {
      await waitForSignal(sub, waitMs, opts.signal);
    }
    const signals = sub.queue.take(max);
    const dropped = sub.queue.takeDropped();
    return { subscription_id: id, signals, dropped, remaining: sub.queue.length, ended: sub.ended };
  }

  /** Buffered signals without taking them (for resource views). */
  peek(id: string, max = 100): SignalEvent[] {
    return this.#get(id).queue.peek(max);
  }

  /** Ends a subscription: waiting reads return, its rule is released. */
  async unsubscribe(id: string): Promise<SubscriptionInfo> {
    const sub = this.#get(id);
    const info = infoOf(sub);
    await this.#end(sub);
    this.#changed();
    return info;
  }

  get(id: string): SubscriptionInfo | undefined {
    const sub = this.#subs.get(id);
    return sub ? infoOf(sub) : undefined;
  }

  list(): SubscriptionInfo[] {
    return [...this.#subs.values()].map((s) => infoOf(s));
  }

  /** Called for every signal a subscription receives (e.g. to notify MCP resource subscribers). */
  onSignal(listener: (event: SignalEvent, sub: SubscriptionInfo) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Called when a subscription is added or ends. */
  onSubscriptionsChanged(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => void this.#changeListeners.delete(listener);
  }

  /** Ends every subscription and releases every rule; later subscribes fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#subs.values()].map((s) => this.#end(s)));
    for (const state of this.#states.values()) state.unlisten();
    this.#states.clear();
    this.#listeners.clear();
    this.#changeListeners.clear();
  }

  #get(id: string): Subscription {
    const sub = this.#subs.get(id);
    if (!sub) {
      throw new AppError(
        'SUBSCRIPTION_UNKNOWN',
        `no signal subscription ${JSON.stringify(id)} (it was unsubscribed, or the worker restarted and ` +
          'subscriptions ended with it); subscribe_signals again',
      );
    }
    return sub;
  }

  async #end(sub: Subscription): Promise<void> {
    if (sub.ended) return;
    sub.ended = true;
    this.#subs.delete(sub.id);
    for (const wake of [...sub.waiters]) wake();
    const steps: Promise<unknown>[] = [sub.hold?.release() ?? Promise.resolve()];
    if (sub.systemd) steps.push(this.#state(sub.bus).systemd.release());
    await Promise.allSettled(steps);
  }

  #state(bus: BusKind): BusState {
    let state = this.#states.get(bus);
    if (!state) {
      const source = this.#gate.signalSource(bus);
      const systemd = new SystemdSubscription(this.#gate, bus, this.#log);
      const created: BusState = { source, unlisten: () => undefined, systemd };
      created.unlisten = source.onSignal((msg) => this.#dispatch(created, msg));
      this.#states.set(bus, created);
      state = created;
    }
    return state;
  }

  /**
   * Holds systemd's Manager.Subscribe() on `bus` until the returned release is called (shared with
   * the subscriptions that need it; see SystemdSubscription).
   */
  async retainSystemd(bus: BusKind): Promise<() => Promise<void>> {
    const { systemd } = this.#state(bus);
    await systemd.retain();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await systemd.release();
    };
  }

  #dispatch(state: BusState, msg: SignalMessage): void {
    let json: { args: JsonValue[]; args_error?: string } | undefined;
    for (const sub of this.#subs.values()) {
      if (sub.bus !== state.source.kind || sub.ended) continue;
      const owner = sub.filter.sender ? state.source.owners.current(sub.filter.sender) : undefined;
      if (!filterMatches(sub.filter, msg, owner)) continue;
      json ??= signalArgs(msg);
      const event = record(sub, msg, json);
      if (this.#listeners.size > 0) {
        const info = infoOf(sub);
        for (const listener of this.#listeners) {
          try {
            listener(event, info);
          } catch (err) {
            this.#log.warn({ err }, 'signal hook threw');
          }
        }
      }
    }
  }

  #changed(): void {
    for (const listener of this.#changeListeners) {
      try {
        listener();
      } catch (err) {
        this.#log.warn({ err }, 'subscription hook threw');
      }
    }
  }
}
