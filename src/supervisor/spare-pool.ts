import type { Logger } from '../shared/logger.js';
import type { WorkerLike } from './worker.js';
import { describeExit } from './worker.js';

/** Spares that fail to boot this many times in a row stop the pool until `resume()`. */
export const MAX_SPARE_BOOT_FAILURES = 5;
/** The refill delay after the n-th failure in a row: BASE × 2^(n-1), at most MAX. */
export const SPARE_RETRY_BASE_MS = 1000;
export const SPARE_RETRY_MAX_MS = 30_000;
/**
 * A client that finds no booted spare is a burst: for this long after the last such miss the pool
 * keeps one more spare per miss (at most BURST_EXTRA_MAX more), forked `fast`, then shrinks back
 * to its size of `lean` spares.
 */
export const BURST_WINDOW_MS = 30_000;
export const BURST_EXTRA_MAX = 4;

/**
 * How a spare is started: `lean` loads the program (the least memory), `fast` starts from the
 * worker snapshot when there is one (booted in a fraction of the time and CPU, ~9 MiB more for its life).
 */
export type SpareKind = 'lean' | 'fast';

export interface SparePoolOptions {
  /** How many spares to keep at rest (SPARE_WORKERS; read on each refill so SIGHUP can change it). */
  size: () => number;
  /**
   * How many more clients could connect now (MAX_CLIENTS − connected clients): the pool keeps no
   * spare beyond it, since no client could take one.
   */
  capacity?: () => number;
  /**
   * How many burst extras the service's memory leaves room for now (none near MAX_CLIENTS, where
   * every worker counts against the unit's MemoryHigh); no bound when absent.
   */
  burstRoom?: () => number;
  fork: (kind: SpareKind) => WorkerLike;
  log: Logger;
  /** Why spares may not boot on this machine (CPU quota, the keys to change), for the warning. */
  explainFailure?: () => string;
  /**
   * True when a fresh fork serves a client sooner than a spare of this kind that is still booting
   * (a worker snapshot is ready, and the fork would not wait for a boot slot): `take()` then
   * leaves that spare to boot.
   */
  freshForkIsFaster?: (kind: SpareKind) => boolean;
  /** True while a client waits for a worker forked for it: refills wait, so it gets the CPU. */
  clientsWaiting?: () => boolean;
}

export interface SparePoolHealth {
  /** Spares in a row that did not boot. */
  failures: number;
  /** True once MAX_SPARE_BOOT_FAILURES was reached: no spare is forked until `resume()`. */
  suspended: boolean;
  lastError: string | undefined;
  /** The warning operators see in the journal and in `dbus-mcp status`, while spares fail. */
  warning: string | undefined;
  /** Spares the pool keeps now: its size, more after a burst while memory allows, fewer near MAX_CLIENTS. */
  target: number;
}

/**
 * Workers forked ahead of clients, so a new client does not wait for Node and the SDK to load.
 *
 * A spare that is taken is replaced at once — unless a client is waiting for a worker forked for
 * it: the refill then waits until that worker has booted, so the two do not share the CPU. A client
 * that finds no booted spare (a burst: a host opening its servers together) makes the pool keep one
 * more spare per such client for BURST_WINDOW_MS: at most BURST_EXTRA_MAX more, no more than memory
 * leaves room for (`burstRoom`), and none when the size is 0 (SPARE_WORKERS=0 means no spares).
 * They are forked together and `fast` (a burst needs spares soon); at rest spares are `lean`: a
 * worker started from the snapshot holds ~9 MiB more for its whole life (bench/README.md,
 * "Start-up"), and a spare may wait for its client long. Once the burst window has passed the extra
 * spares are stopped and the fast ones replaced by lean ones. The pool never keeps more spares than
 * clients could still connect (MAX_CLIENTS).
 *
 * A spare that fails to boot (exits first, or misses its boot deadline) makes the pool back off:
 * the next fork waits 1, 2, 4, 8 s …, and after MAX_SPARE_BOOT_FAILURES failures in a row the pool
 * stops forking and says why, so a machine too slow for the deadline is not kept busy with forks
 * its clients need the CPU for. It resumes on `resume()`: a reload, or a worker that did boot.
 */
export class SparePool {
  /** The spares and how each was started. */
  private readonly spares = new Map<WorkerLike, SpareKind>();
  private failures = 0;
  private suspended = false;
  private lastError: string | undefined;
  private stopped = false;
  private refillTimer: NodeJS.Timeout | undefined;
  /** When the clients that found no booted spare did, within the burst window. */
  private misses: number[] = [];
  private burstTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SparePoolOptions) {}

  /** The number of spares to keep now. */
  target(): number {
    const size = this.options.size();
    // SPARE_WORKERS=0 is an operator's choice (memory): no spares, bursts or not.
    const extra = Math.min(
      this.recentMisses(),
      BURST_EXTRA_MAX,
      this.options.burstRoom?.() ?? BURST_EXTRA_MAX,
    );
    const wanted = size === 0 ? 0 : size + Math.max(0, extra);
    return Math.max(0, Math.min(wanted, this.options.capacity?.() ?? wanted));
  }

  /**
   * Forks spares up to the target (all at once), and stops spares beyond it (booting ones first).
   * At rest, fast spares are replaced by lean ones. Refills wait while a client waits for a worker
   * forked for it; call again once it booted.
   */
  fill(): void {
    if (this.stopped || this.refillTimer || this.suspended) return;
    const target = this.target();
    const bursting = this.recentMisses() > 0;
    // What goes first when there are too many: spares still booting, then fast ones.
    const rank = (w: WorkerLike) => (w.state === 'idle' ? 1 : 0) + (this.spares.get(w) === 'lean' ? 2 : 0);
    const surplus = [...this.spares.keys()]
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, Math.max(0, this.spares.size - target));
    if (!bursting) {
      for (const [worker, kind] of this.spares)
        if (kind === 'fast' && !surplus.includes(worker)) surplus.push(worker);
    }
    for (const worker of surplus) {
      this.spares.delete(worker);
      void worker.stop();
    }
    if (this.options.clientsWaiting?.()) return;
    while (this.spares.size < target && !this.refillTimer && !this.suspended)
      this.spawn(bursting ? 'fast' : 'lean');
  }

  /**
   * A spare, removed from the pool (the caller adopts it), or undefined. Booted ones first; one
   * still booting only when a fresh fork would not be faster. Finding none booted counts as a burst.
   */
  take(): WorkerLike | undefined {
    const spares = [...this.spares.keys()];
    const idle = spares.find((w) => w.state === 'idle');
    if (!idle) this.recordMiss();
    const chosen =
      idle ?? spares.find((w) => !this.options.freshForkIsFaster?.(this.spares.get(w) ?? 'lean'));
    setImmediate(() => this.fill());
    if (!chosen) return undefined;
    this.spares.delete(chosen);
    chosen.adopt({});
    return chosen;
  }

  /** A booted spare, left in the pool (for a question that does not take it), or undefined. */
  idle(): WorkerLike | undefined {
    return [...this.spares.keys()].find((w) => w.state === 'idle');
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
    return [...this.spares.keys()].map((w) => ({
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
      target: this.target(),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refillTimer);
    clearTimeout(this.burstTimer);
    const all = [...this.spares.keys()];
    this.spares.clear();
    await Promise.allSettled(all.map((w) => w.stop()));
  }

  private recentMisses(): number {
    const now = Date.now();
    this.misses = this.misses.filter((at) => now - at < BURST_WINDOW_MS);
    return this.misses.length;
  }

  private recordMiss(): void {
    this.misses.push(Date.now());
    // Once the window after the last miss has passed, the target drops back and fill() stops the
    // extra spares and replaces the fast ones.
    clearTimeout(this.burstTimer);
    this.burstTimer = setTimeout(() => {
      this.burstTimer = undefined;
      this.fill();
    }, BURST_WINDOW_MS);
    this.burstTimer.unref();
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

  private spawn(kind: SpareKind): void {
    let worker: WorkerLike;
    try {
      worker = this.options.fork(kind);
    } catch (err) {
      this.options.log.error({ err }, 'cannot fork a spare worker');
      this.bootFailed(err instanceof Error ? err.message : String(err));
      return;
    }
    const log = this.options.log.child({ workerPid: worker.pid });
    this.spares.set(worker, kind);
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
