/**
 * The D-Bus vocabulary of the worker: what a call is, what comes back, what a signal is. A leaf
 * module (it imports nothing), so connection, bus-link, introspection and the policy share it
 * without import cycles.
 */

export type BusKind = 'session' | 'system';

/** The buses, in the order tools and resources list them. */
export const BUS_KINDS = ['session', 'system'] as const satisfies readonly BusKind[];

/** One method call as it goes on the wire. */
export interface CallRequest {
  destination: string;
  path: string;
  interface?: string;
  member: string;
  signature?: string;
  /** Values already in D-Bus form (values/to-dbus.ts); their count must match `signature`. */
  body?: unknown[];
  /** Sets NO_AUTO_START: the bus answers for a service that is not running instead of starting it. */
  noAutoStart?: boolean;
}

export interface CallOptions {
  /** Default: CALL_TIMEOUT_MS, read when the call is made. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CallReply {
  signature: string;
  body: unknown[];
}

/**
 * The message the gate sends for a resolved operation: the interface and member on the wire (a
 * property access becomes `org.freedesktop.DBus.Properties.Get/GetAll/Set`) and the arguments
 * converted to D-Bus values. Made before the policy's judgement, so that what is judged is what
 * is sent (the destination and path are the judged operation's).
 */
export interface PreparedMessage {
  interface: string;
  member: string;
  signature: string;
  body: unknown[];
  /** For `Properties.GetAll`: the properties introspection says the reply will carry, when it could tell. */
  properties?: string[];
}

/** A signal the connection received (broadcast, or addressed to this connection). */
export interface SignalMessage {
  sender: string;
  path: string;
  interface: string;
  member: string;
  signature: string;
  body: unknown[];
}
