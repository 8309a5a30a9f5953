import type { Logger } from '../shared/logger.js';
import type { WorkerLike } from './worker.js';
import { describeExit } from './worker.js';

/** Spares that fail to boot this many times in a row stop the pool until `resume()`. */
export const MAX_SPARE_BOOT_FAILURES = 5;
/** The refill delay after the n-th failure in a row: BASE × 2^(n-1), at most MAX. */
export const SPARE_RETRY_BASE_MS = 1000;
export const SPARE_RETRY_MAX_MS = 30_000;

export interface SparePoolOptions {
  /** How many spares to keep (SPARE_WORKERS; read on each refill so SIGHUP can change it). */
  size: () => number;
  fork: () => WorkerLike;
  log: Logger;
  /** Why spares may not boot on this machine (CPU quota, the keys to change), for the warning. */
  explainFailure?: () => string;
}

export interface SparePoolHealth {
  /** Spares in a row that did not boot. */
  failures: number;
  /** True once MAX_SPARE_BOOT_FAILURES was reached: no spare is forked until `resume()`. */
  suspended: boolean;
  lastError: string | undefined;
  /** The warning operators see in the journal and in `dbus-mcp status`, while spares fail. */
  warning: string | undefined;
}

/**
 * Workers forked ahead of clients, so a new client does not wait for Node and the SDK to load.
 * A spare that is taken is replaced at once. A spare that fails to boot (exits first, or misses
 * its boot deadline) makes the pool back off: the next fork waits 1, 2, 4, 8 s …, and after
 * MAX_SPARE_BOOT_FAILURES failures in a row the pool stops forking and says why, so a machine
 * too slow for the deadline is not kept busy with forks its clients need the CPU for. It resumes
 * on `resume()`: a reload, or a worker that did boot (the machine can, after all).
 */
export class SparePool {
  private readonly spares = new Set<WorkerLike>();
  private failures = 0;
  private suspended = false;
  private lastError: string | undefined;
  private stopped = false;
  private refillTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SparePoolOptions) {}

  /** Forks spares up to the configured size (and stops extra ones when the size shrank). */
  fill(): void {
    if (this.stopped || this.refillTimer || this.suspended) return;
    const size = this.options.size();
    for (const extra of [...this.spares].slice(size)) {
      this.spares.delete(extra);
      void extra.stop();
    }
    while (this.spares.size < size && !this.refillTimer && !this.suspended) this.spawn();
  }

  /** A spare, removed from the pool (the caller adopts it), or undefined. Booted ones first. */
  take(): WorkerLike | undefined {
    const chosen = [...this.spares].find((w) => w.state === 'idle') ?? [...this.spares][0];
    if (!chosen) return undefined;
    this.spares.delete(chosen);
    chosen.adopt({});
    setImmediate(() => this.fill());
    return chosen;
  }

  /** Ends a back-off or a suspension (a reload, or a worker that booted): refills at once. */
  resume(): void {
    if (this.failures === 0 && !this.suspended) return;
    if (this.suspended) this.options.log.info('spare workers resumed');
    this.failures = 0;
    this.suspended = false;
    this.lastError = undefined;
    clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    this.fill();
  }

  list(): Array<{ pid: number; state: string; since: string }> {
    return [...this.spares].map((w) => ({
      pid: w.pid,
      state: w.state,
      since: new Date(w.startedAt).toISOString(),
    }));
  }

  health(): SparePoolHealth {
    return {
      failures: this.failures,
      suspended: this.suspended,
      lastError: this.lastError,
      warning: this.failures === 0 ? undefined : this.warning(),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refillTimer);
    const all = [...this.spares];
    this.spares.clear();
    await Promise.allSettled(all.map((w) => w.stop()));
  }

  private warning(): string {
    const state = this.suspended
      ? `no more spares are forked until a reload or a worker that boots`
      : `retrying with a growing delay, at most ${MAX_SPARE_BOOT_FAILURES} times in a row`;
    const why = this.options.explainFailure?.();
    return (
      `spare workers failed to boot ${this.failures} time${this.failures === 1 ? '' : 's'} in a row ` +
      `(last: ${this.lastError ?? 'unknown'}); ${state}${why ? `; ${why}` : ''}`
    );
  }

  private spawn(): void {
    let worker: WorkerLike;
    try {
      worker = this.options.fork();
    } catch (err) {
      this.options.log.error({ err }, 'cannot fork a spare worker');
      this.bootFailed(err instanceof Error ? err.message : String(err));
      return;
    }
    const log = this.options.log.child({ workerPid: worker.pid });
    this.spares.add(worker);
    // A missed boot deadline is known (and says more) before the kill's exit arrives.
    let deadlineMissed: string | undefined;
    worker.adopt({
      onExit: (exit) => {
        if (!this.spares.delete(worker) || this.stopped) return;
        const how = describeExit(exit.code, exit.signal);
        log.warn({ exit: how, reason: exit.reason }, 'spare worker exited');
        if (exit.wasBooted) this.scheduleRefill(0);
        else this.bootFailed(deadlineMissed ?? exit.reason ?? `worker ${worker.pid} exited (${how})`);
      },
    });
    worker.whenBooted().then(
      () => {
        if (this.failures > 0 || this.suspended) this.resume();
        log.debug('spare worker booted');
      },
      (err: unknown) => {
        deadlineMissed = err instanceof Error ? err.message : String(err);
        log.warn({ err }, 'spare worker did not boot');
      },
    );
  }

  private bootFailed(reason: string): void {
    this.failures++;
    this.lastError = reason;
    if (this.failures >= MAX_SPARE_BOOT_FAILURES) {
      this.suspended = true;
      this.options.log.error({ failures: this.failures, warning: this.warning() }, 'spare workers suspended');
      return;
    }
    const delayMs = Math.min(SPARE_RETRY_MAX_MS, SPARE_RETRY_BASE_MS * 2 ** (this.failures - 1));
    this.options.log.warn(
      { failures: this.failures, delayMs, warning: this.warning() },
      'spare workers backing off',
    );
    this.scheduleRefill(delayMs);
  }

  private scheduleRefill(delayMs: number): void {
    if (this.refillTimer || this.stopped) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, delayMs);
    this.refillTimer.unref();
  }
}
