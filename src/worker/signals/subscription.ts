import { errorMessage } from '../../shared/errors.js';
import type { BusKind, SignalMessage } from '../dbus/types.js';
import type { JsonValue } from '../dbus/values/index.js';
import { fromDBusArgs } from '../dbus/values/index.js';
import type { MatchHold } from '../gate/operation.js';
import { signalWithoutSecrets } from '../gate/reply-secrets.js';
import type { SignalFilter } from './match-rule.js';
import type { EventQueue } from './queue.js';
import type { SignalEvent, SubscriptionInfo } from './types.js';

/** One signal subscription of the hub: its filter and rule, its buffer and its waiting reads. */
export interface Subscription {
  id: string;
  bus: BusKind;
  filter: SignalFilter;
  rule: string;
  createdAt: string;
  queue: EventQueue<SignalEvent>;
  received: number;
  /** Needs systemd's Manager.Subscribe() to see what it asks for. */
  systemd: boolean;
  /** The match rule, held once the policy allowed the subscription. */
  hold: MatchHold | undefined;
  ended: boolean;
  waiters: Set<() => void>;
}

/**
 * A signal's arguments as JSON, or why they could not be converted. Property values that hold a
 * secret never reach the agent (PropertiesChanged, InterfacesAdded: reply-secrets.ts).
 */
export function signalArgs(msg: SignalMessage): { args: JsonValue[]; args_error?: string } {
  try {
    return { args: fromDBusArgs(msg.signature, signalWithoutSecrets(msg).body) };
  } catch (e) {
    return { args: [], args_error: errorMessage(e) };
  }
}

/** Buffers `msg` (its arguments already converted) and wakes the reads waiting on `sub`. */
export function record(
  sub: Subscription,
  msg: SignalMessage,
  args: { args: JsonValue[]; args_error?: string },
): SignalEvent {
  sub.received++;
  const event: SignalEvent = {
    seq: sub.received,
    received_at: new Date().toISOString(),
    sender: msg.sender,
    path: msg.path,
    interface: msg.interface,
    member: msg.member,
    signature: msg.signature,
    ...args,
  };
  sub.queue.push(event);
  for (const wake of [...sub.waiters]) wake();
  return event;
}

/** Resolves when a signal arrives for `sub`, after `waitMs`, when it ends or `signal` aborts. */
export function waitForSignal(sub: Subscription, waitMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      sub.waiters.delete(done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    sub.waiters.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function infoOf(sub: Subscription): SubscriptionInfo {
  return {
    id: sub.id,
    bus: sub.bus,
    filter: sub.filter,
    match_rule: sub.rule,
    created_at: sub.createdAt,
    buffered: sub.queue.length,
    buffer_size: sub.queue.capacity,
    dropped: sub.queue.dropped,
    received: sub.received,
  };
}
