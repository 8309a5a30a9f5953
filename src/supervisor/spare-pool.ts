import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { WorkerHandle } from './worker-handle.js';
import { describe } from './worker-handle.js';

export interface SparePoolOptions {
  /** How many spares to keep (SPARE_WORKERS; read on each refill so SIGHUP can change it). */
  size: () => number;
  fork: () => WorkerHandle;
  log: Logger;
}

/**
 * Workers forked ahead of clients, so a new client does not wait for Node and the SDK to load.
 * A spare that is taken is replaced at once. Spares that die before booting are replaced with a
 * growing delay, so a broken program does not fork in a tight loop.
 */
export class SparePool {
  private readonly spares = new Set<WorkerHandle>();
  private failures = 0;
  private stopped = false;
  private refillTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SparePoolOptions) {}

  /** Forks spares up to the configured size (and stops extra ones when the size shrank). */
  fill(): void {
    if (this.stopped || this.refillTimer) return;
    const size = this.options.size();
    for (const extra of [...this.spares].slice(size)) {
      this.spares.delete(extra);
      void extra.stop();
    }
    while (this.spares.size < size && !this.refillTimer) this.spawn();
  }

  /** A booted spare, removed from the pool (the caller owns it now), or undefined. */
  take(): WorkerHandle | undefined {
    const ready = [...this.spares].find((w) => w.state === 'idle') ?? [...this.spares][0];
    if (!ready) return undefined;
    this.spares.delete(ready);
    ready.onExit = undefined;
    setImmediate(() => this.fill());
    return ready;
  }

  list(): Array<{ pid: number; state: string; since: string }> {
    return [...this.spares].map((w) => ({
      pid: w.pid,
      state: w.state,
      since: new Date(w.startedAt).toISOString(),
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refillTimer);
    const all = [...this.spares];
    this.spares.clear();
    await Promise.allSettled(all.map((w) => w.stop()));
  }

  private spawn(): void {
    let worker: WorkerHandle;
    try {
      worker = this.options.fork();
    } catch (err) {
      this.failures++;
      this.options.log.error({ err: errorMessage(err) }, 'cannot fork a spare worker');
      this.scheduleRefill();
      return;
    }
    const log = this.options.log.child({ workerPid: worker.pid });
    this.spares.add(worker);
    let booted = false;
    worker.onExit = (exit) => {
      if (!this.spares.delete(worker) || this.stopped) return;
      if (!booted) this.failures++;
      log.warn({ exit: describe(exit.code, exit.signal), reason: exit.reason }, 'spare worker exited');
      this.scheduleRefill();
    };
    worker.whenBooted().then(
      () => {
        booted = true;
        this.failures = 0;
        log.debug('spare worker booted');
      },
      (err) => log.error({ err: errorMessage(err) }, 'spare worker did not boot'),
    );
  }

  private scheduleRefill(): void {
    if (this.refillTimer || this.stopped) return;
    const delay = this.failures === 0 ? 0 : Math.min(30_000, 250 * 2 ** (this.failures - 1));
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, delay);
    this.refillTimer.unref();
  }
}
