/**
 * How a limit of N operations per minute is counted, the same way for one client (the worker's
 * policy) and for the whole service (the supervisor, all clients of one `serve` together): a token
 * bucket per kind whose capacity is the limit (the burst), refilled continuously over a minute.
 * `updatedAt` is wall-clock milliseconds, so refill goes on while nothing runs.
 */
import type { Config } from './config.js';

export type RateBucketName = 'notify' | 'screenshot' | 'mutating';
export const RATE_BUCKETS: readonly RateBucketName[] = ['notify', 'screenshot', 'mutating'];

/** Operations per minute per bucket; 0 means no limit. */
export type RateLimits = Record<RateBucketName, number>;

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export type BucketDecision =
  { ok: true; limited: boolean } | { ok: false; limit: number; retryAfterMs: number };

const MINUTE = 60_000;

/** The per-client limits (RATE_LIMIT_*). */
export function clientLimits(config: Config): RateLimits {
  return {
    notify: config.RATE_LIMIT_NOTIFY,
    screenshot: config.RATE_LIMIT_SCREENSHOT,
    mutating: config.RATE_LIMIT_MUTATING,
  };
}

/** The service-wide limits (RATE_LIMIT_SERVICE_*; unset: the per-client value, so reconnecting gains nothing). */
export function serviceLimits(config: Config): RateLimits {
  return {
    notify: config.RATE_LIMIT_SERVICE_NOTIFY ?? config.RATE_LIMIT_NOTIFY,
    screenshot: config.RATE_LIMIT_SERVICE_SCREENSHOT ?? config.RATE_LIMIT_SCREENSHOT,
    mutating: config.RATE_LIMIT_SERVICE_MUTATING ?? config.RATE_LIMIT_MUTATING,
  };
}

/** Token buckets, one per name; state is plain JSON (it crosses IPC and outlives workers). */
export class TokenBuckets {
  #limits: RateLimits;
  readonly #now: () => number;
  readonly #buckets = new Map<RateBucketName, BucketState>();

  constructor(limits: RateLimits, opts: { now?: () => number } = {}) {
    this.#limits = { ...limits };
    this.#now = opts.now ?? Date.now;
  }

  get limits(): Readonly<RateLimits> {
    return this.#limits;
  }

  /** New limits (SIGHUP): tokens are kept, cut to the new capacity. */
  setLimits(limits: RateLimits): void {
    for (const name of RATE_BUCKETS) this.#refill(name);
    this.#limits = { ...limits };
    for (const [name, b] of this.#buckets) b.tokens = Math.min(b.tokens, this.#limits[name]);
  }

  /** Whether a token is there (without taking it), or when one will be. */
  peek(name: RateBucketName): BucketDecision {
    const limit = this.#limits[name];
    if (limit <= 0) return { ok: true, limited: false };
    const b = this.#refill(name);
    if (b.tokens >= 1) return { ok: true, limited: true };
    return { ok: false, limit, retryAfterMs: Math.max(1, Math.ceil(((1 - b.tokens) * MINUTE) / limit)) };
  }

  /** Takes one token when there is one. */
  take(name: RateBucketName): BucketDecision {
    const decision = this.peek(name);
    if (decision.ok && decision.limited) {
      const b = this.#buckets.get(name);
      if (b) b.tokens -= 1;
    }
    return decision;
  }

  /** Gives back a token taken for an operation that did not run after all. */
  refund(name: RateBucketName): void {
    const b = this.#buckets.get(name);
    if (b) b.tokens = Math.min(this.#limits[name], b.tokens + 1);
  }

  #refill(name: RateBucketName): BucketState {
    const now = this.#now();
    const limit = this.#limits[name];
    let b = this.#buckets.get(name);
    if (!b) {
      b = { tokens: limit, updatedAt: now };
      this.#buckets.set(name, b);
    }
    const elapsed = Math.max(0, now - b.updatedAt);
    b.tokens = Math.min(limit, b.tokens + (elapsed * limit) / MINUTE);
    b.updatedAt = now;
    return b;
  }

  state(): Partial<Record<RateBucketName, BucketState>> {
    const out: Partial<Record<RateBucketName, BucketState>> = {};
    for (const [name, b] of this.#buckets) out[name] = { tokens: b.tokens, updatedAt: b.updatedAt };
    return out;
  }

  /** Restores exported buckets; malformed entries are ignored, values clamped to sane bounds. */
  import(state: Partial<Record<string, unknown>> | undefined): void {
    const now = this.#now();
    for (const name of RATE_BUCKETS) {
      const b = state?.[name] as { tokens?: unknown; updatedAt?: unknown } | undefined;
      if (!b || typeof b.tokens !== 'number' || typeof b.updatedAt !== 'number') continue;
      if (!Number.isFinite(b.tokens) || !Number.isFinite(b.updatedAt)) continue;
      this.#buckets.set(name, {
        tokens: Math.max(0, Math.min(b.tokens, this.#limits[name])),
        updatedAt: Math.min(b.updatedAt, now),
      });
    }
  }
}
