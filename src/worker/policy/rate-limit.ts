import type { Config } from '../../shared/config.js';
import type { OperationKind } from './levels.js';

export type RateBucketName = 'notify' | 'screenshot' | 'mutating';
export const RATE_BUCKETS: readonly RateBucketName[] = ['notify', 'screenshot', 'mutating'];

/**
 * Rate-limit state of one client: JSON-serialisable so the supervisor can keep it across worker
 * crashes and hand it to the replacement worker (a crash never resets a limit). `updatedAt` is
 * wall-clock milliseconds, so refill continues while no worker runs.
 */
export interface PolicyState {
  version: 1;
  buckets: Partial<Record<RateBucketName, { tokens: number; updatedAt: number }>>;
}

/** Operations per minute per bucket; 0 means no limit. */
export type RateLimits = Record<RateBucketName, number>;

export function limitsFromConfig(config: Config): RateLimits {
  return {
    notify: config.RATE_LIMIT_NOTIFY,
    screenshot: config.RATE_LIMIT_SCREENSHOT,
    mutating: config.RATE_LIMIT_MUTATING,
  };
}

/** The bucket an allowed operation of `kind` draws from; reads and clipboard reads draw from none. */
export function bucketFor(kind: OperationKind): RateBucketName | undefined {
  switch (kind) {
    case 'notify':
      return 'notify';
    case 'screenshot':
      return 'screenshot';
    case 'media':
    case 'clipboard_write':
    case 'desktop_action':
    case 'property_write':
    case 'call':
    case 'system_change':
      return 'mutating';
    default:
      return undefined;
  }
}

export type RateDecision =
  | { ok: true; bucket?: RateBucketName }
  | { ok: false; bucket: RateBucketName; limit: number; retryAfterMs: number; message: string };

const MINUTE = 60_000;

/** Token buckets: capacity = the per-minute limit (the burst), refilled continuously over a minute. */
export class RateLimiter {
  #limits: RateLimits;
  readonly #now: () => number;
  readonly #buckets = new Map<RateBucketName, { tokens: number; updatedAt: number }>();

  constructor(limits: RateLimits, opts: { state?: PolicyState; now?: () => number } = {}) {
    this.#limits = { ...limits };
    this.#now = opts.now ?? Date.now;
    if (opts.state) this.import(opts.state);
  }

  setLimits(limits: RateLimits): void {
    for (const name of RATE_BUCKETS) this.#refill(name);
    this.#limits = { ...limits };
    for (const [name, b] of this.#buckets) b.tokens = Math.min(b.tokens, this.#limits[name]);
  }

  /** Takes one token for `kind` (when it has a bucket with a limit), or says when to retry. */
  take(kind: OperationKind): RateDecision {
    const decision = this.peek(kind);
    if (decision.ok && decision.bucket) {
      const b = this.#buckets.get(decision.bucket);
      if (b) b.tokens -= 1;
    }
    return decision;
  }

  /** Like take() without consuming. */
  peek(kind: OperationKind): RateDecision {
    const bucket = bucketFor(kind);
    if (!bucket) return { ok: true };
    const limit = this.#limits[bucket];
    if (limit <= 0) return { ok: true };
    const b = this.#refill(bucket);
    if (b.tokens >= 1) return { ok: true, bucket };
    const retryAfterMs = Math.max(1, Math.ceil(((1 - b.tokens) * MINUTE) / limit));
    return {
      ok: false,
      bucket,
      limit,
      retryAfterMs,
      message: `rate limit reached: at most ${limit} ${bucket} operations per minute for this client; retry in ${(retryAfterMs / 1000).toFixed(1)} s`,
    };
  }

  #refill(name: RateBucketName): { tokens: number; updatedAt: number } {
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

  /** The buckets as plain JSON. */
  state(): PolicyState {
    const buckets: PolicyState['buckets'] = {};
    for (const [name, b] of this.#buckets) buckets[name] = { tokens: b.tokens, updatedAt: b.updatedAt };
    return { version: 1, buckets };
  }

  /** Restores exported buckets; malformed entries are ignored, values are clamped to sane bounds. */
  import(state: PolicyState): void {
    const now = this.#now();
    for (const name of RATE_BUCKETS) {
      const b = (state?.buckets as Record<string, unknown> | undefined)?.[name] as
        { tokens?: unknown; updatedAt?: unknown } | undefined;
      if (!b || typeof b.tokens !== 'number' || typeof b.updatedAt !== 'number') continue;
      if (!Number.isFinite(b.tokens) || !Number.isFinite(b.updatedAt)) continue;
      this.#buckets.set(name, {
        tokens: Math.max(0, Math.min(b.tokens, this.#limits[name])),
        updatedAt: Math.min(b.updatedAt, now),
      });
    }
  }
}
