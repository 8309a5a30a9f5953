import type { BusKind } from '../dbus/types.js';
import type { JsonValue } from '../dbus/values/index.js';
import type { SignalFilter } from './match-rule.js';

/** One received signal as JSON, the way read_signals returns it. */
export interface SignalEvent {
  /** Position in this subscription's stream, from 1; gaps mean dropped signals. */
  seq: number;
  received_at: string;
  sender: string;
  path: string;
  interface: string;
  member: string;
  signature: string;
  args: JsonValue[];
  /** Set when the body could not be converted to JSON (args is then empty). */
  args_error?: string;
}

export interface SubscriptionInfo {
  id: string;
  bus: BusKind;
  filter: SignalFilter;
  match_rule: string;
  created_at: string;
  buffered: number;
  buffer_size: number;
  /** Signals dropped since the last read because the buffer was full. */
  dropped: number;
  received: number;
}

export interface ReadResult {
  subscription_id: string;
  signals: SignalEvent[];
  dropped: number;
  remaining: number;
  /** true when the subscription ended (unsubscribed or the server closing) during the read. */
  ended: boolean;
}
