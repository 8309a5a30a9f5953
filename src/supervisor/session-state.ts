import type { JsonRpcId, JsonRpcMessage } from '../shared/ipc.js';

const REPLAY_ID_PREFIX = 'dbus-mcp-replay-';

export const keyOf = (id: JsonRpcId): string => `${typeof id}:${id}`;
export const isRequest = (m: JsonRpcMessage): m is JsonRpcMessage & { id: JsonRpcId; method: string } =>
  'method' in m && 'id' in m && m.id !== undefined && m.id !== null;
export const isResponse = (m: JsonRpcMessage): m is JsonRpcMessage & { id: JsonRpcId } =>
  !('method' in m) && 'id' in m && (typeof m.id === 'string' || typeof m.id === 'number');

/** The request a `notifications/cancelled` from the client cancels, if `m` is one. */
export function cancelledRequestId(m: JsonRpcMessage): JsonRpcId | undefined {
  if (!('method' in m) || m.method !== 'notifications/cancelled' || isRequest(m)) return undefined;
  const id = (m as { params?: Record<string, unknown> }).params?.['requestId'];
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

export interface Pending {
  id: JsonRpcId;
  method: string;
  /** Handed to the current worker (queued requests survive a crash and go to the next one). */
  sent: boolean;
}

/** Client requests not answered yet, by id. */
export class InFlightTable {
  private map = new Map<string, Pending>();

  get size(): number {
    return this.map.size;
  }

  /** False when a request with this id is already in flight. */
  add(id: JsonRpcId, method: string): boolean {
    const key = keyOf(id);
    if (this.map.has(key)) return false;
    this.map.set(key, { id, method, sent: false });
    return true;
  }

  has(id: JsonRpcId): boolean {
    return this.map.has(keyOf(id));
  }

  markSent(id: JsonRpcId): void {
    const pending = this.map.get(keyOf(id));
    if (pending) pending.sent = true;
  }

  /** True when the answer settled a request of ours. */
  settle(id: JsonRpcId): boolean {
    return this.map.delete(keyOf(id));
  }

  /** Removes and returns the requests `which` selects (the map is swapped before anyone is told). */
  take(which: (p: Pending) => boolean): Pending[] {
    const all = this.map;
    this.map = new Map();
    const taken: Pending[] = [];
    for (const [key, pending] of all) {
      if (which(pending)) taken.push(pending);
      else this.map.set(key, pending);
    }
    return taken;
  }
}

/**
 * The 2025-era session opening a replacement worker must see again: the client's `initialize`,
 * `notifications/initialized` and the latest `logging/setLevel`. 2026-era clients send none of
 * these (every request carries its own `_meta`), so for them there is nothing to replay.
 */
export class HandshakeCache {
  private initialize: JsonRpcMessage | undefined;
  private initialized: JsonRpcMessage | undefined;
  private setLevel: JsonRpcMessage | undefined;
  private n = 0;

  record(msg: JsonRpcMessage): void {
    if (!('method' in msg)) return;
    if (msg.method === 'initialize' && isRequest(msg)) this.initialize = msg;
    else if (msg.method === 'notifications/initialized') this.initialized = msg;
    else if (msg.method === 'logging/setLevel' && isRequest(msg)) this.setLevel = msg;
  }

  /** The messages to replay, requests under fresh ids of our own (their answers are swallowed). */
  replay(): JsonRpcMessage[] {
    if (!this.initialize) return [];
    const steps = [this.withId(this.initialize)];
    if (this.initialized) steps.push(this.initialized);
    if (this.setLevel) steps.push(this.withId(this.setLevel));
    return steps;
  }

  /**
   * For a first worker whose client's `initialize` the supervisor answered (start-answers.ts):
   * that request alone, under an id of our own; what the client sent after it is still queued.
   */
  replayOpening(initialize: JsonRpcMessage): JsonRpcMessage[] {
    return [this.withId(initialize)];
  }

  private withId(m: JsonRpcMessage): JsonRpcMessage {
    return { ...m, id: `${REPLAY_ID_PREFIX}${++this.n}` } as JsonRpcMessage;
  }
}
