import type { Config } from '../../shared/config.js';
import type { RateBucketName, RateLimits } from '../../shared/rate-buckets.js';
import { TokenBuckets, clientLimits, serviceLimits } from '../../shared/rate-buckets.js';
import type { OperationKind } from './levels.js';

export type { RateBucketName, RateLimits } from '../../shared/rate-buckets.js';
export { RATE_BUCKETS } from '../../shared/rate-buckets.js';

/**
 * Rate-limit state of one client: JSON-serialisable so the supervisor can keep it across worker
 * crashes and hand it to the replacement worker (a crash never resets a limit). `updatedAt` is
 * wall-clock milliseconds, so refill continues while no worker runs.
 */
export interface PolicyState {
  version: 1;
  buckets: Partial<Record<RateBucketName, { tokens: number; updatedAt: number }>>;
}

export function limitsFromConfig(config: Config): RateLimits {
  return clientLimits(config);
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

function limitedMessage(bucket: RateBucketName, limit: number, retryAfterMs: number, scope: string): string {
  return `rate limit reached: at most ${limit} ${bucket} operations per minute ${scope}; retry in ${(retryAfterMs / 1000).toFixed(1)} s`;
}

/** The per-client token buckets (capacity = the per-minute limit, refilled continuously over a minute). */
export class RateLimiter {
  readonly #buckets: TokenBuckets;

  constructor(limits: RateLimits, opts: { state?: PolicyState; now?: () => number } = {}) {
    this.#buckets = new TokenBuckets(limits, { now: opts.now });
    if (opts.state) this.import(opts.state);
  }

  setLimits(limits: RateLimits): void {
    this.#buckets.setLimits(limits);
  }

  /** Takes one token for `kind` (when it has a bucket with a limit), or says when to retry. */
  take(kind: OperationKind): RateDecision {
    return this.#decide(kind, (b) => this.#buckets.take(b));
  }

  /** Like take() without consuming. */
  peek(kind: OperationKind): RateDecision {
    return this.#decide(kind, (b) => this.#buckets.peek(b));
  }

  /** Gives back the token of an operation the service-wide limit then refused. */
  refund(bucket: RateBucketName): void {
    this.#buckets.refund(bucket);
  }

  #decide(kind: OperationKind, act: (b: RateBucketName) => ReturnType<TokenBuckets['take']>): RateDecision {
    const bucket = bucketFor(kind);
    if (!bucket) return { ok: true };
    const d = act(bucket);
    if (d.ok) return d.limited ? { ok: true, bucket } : { ok: true };
    return {
      ok: false,
      bucket,
      limit: d.limit,
      retryAfterMs: d.retryAfterMs,
      message: limitedMessage(bucket, d.limit, d.retryAfterMs, 'for this client'),
    };
  }

  /** The buckets as plain JSON. */
  state(): PolicyState {
    return { version: 1, buckets: this.#buckets.state() };
  }

  /** Restores exported buckets; malformed entries are ignored, values are clamped to sane bounds. */
  import(state: PolicyState): void {
    this.#buckets.import(state?.buckets);
  }
}

/** The service-wide answer for one token (the supervisor's, or this process's own in direct mode). */
export type ServiceRateAnswer =
  { ok: true } | { ok: false; limit: number; retryAfterMs: number; message?: string };

/** Takes one service-wide token of `bucket` (asks the supervisor); never called for reads. */
export type ServiceRate = (bucket: RateBucketName, signal?: AbortSignal) => Promise<ServiceRateAnswer>;

/** The message of a service-wide refusal. */
export function serviceLimitedMessage(
  bucket: RateBucketName,
  answer: Exclude<ServiceRateAnswer, { ok: true }>,
): string {
  return (
    answer.message ??
    limitedMessage(bucket, answer.limit, answer.retryAfterMs, 'for all clients of this server together')
  );
}

/**
 * A process that is its own service (direct mode, `dbus-mcp stdio`): the service-wide buckets live
 * here, and `setConfig` keeps them in step with the configuration.
 */
export function localServiceRate(
  config: Config,
  now?: () => number,
): { rate: ServiceRate; setConfig(c: Config): void } {
  const buckets = new TokenBuckets(serviceLimits(config), { now });
  return {
    rate: async (bucket) => {
      const d = buckets.take(bucket);
      return d.ok ? { ok: true } : { ok: false, limit: d.limit, retryAfterMs: d.retryAfterMs };
    },
    setConfig: (c) => buckets.setLimits(serviceLimits(c)),
  };
}
