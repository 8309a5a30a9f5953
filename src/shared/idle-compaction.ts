import { committedHeapBytes, reduceHeap } from './heap.js';

/** How long the process's clients must be quiet before its heap is reduced. */
export const QUIET_MS = 1000;
/** A reduction costs tens of ms of CPU: only once the heap has grown this much since the last. */
export const MIN_GROWTH_BYTES = 1024 * 1024;

export interface IdleCompactionOptions {
  quietMs?: number;
  minGrowthBytes?: number;
  heapBytes?: () => number;
  /** Reduces the heap; resolves false when this process cannot (heap.ts `reduceHeap`). */
  reduce?: () => Promise<boolean>;
}

/**
 * Gives a process's memory back soon after its clients go quiet: a worker (its one client) and
 * the supervisor (all of them). After a session's calls (or a spare's warm-up) part of the heap
 * is garbage on part-empty pages, and the young generation holds its idle semi-space, until V8's
 * memory reducer runs, 8 s or more later (bench/README.md, "Start-up", changes 22 and 25).
 * `activity()` is called on each client message (and once after start-up); QUIET_MS after the
 * last one the heap is reduced if it grew MIN_GROWTH_BYTES since the last reduction ended, so a
 * busy client costs nothing and a client that pauses often costs one reduction per MiB it leaves
 * behind. A process that cannot reduce its heap stops trying after the first time.
 */
export class IdleCompaction {
  #timer: NodeJS.Timeout | undefined;
  /** The committed heap once the last reduction was done (0: none yet). */
  #floor = 0;
  #reducing = false;
  /** No more reductions: stopped, or this process turned out unable to reduce its heap. */
  #off = false;
  readonly #quietMs: number;
  readonly #minGrowthBytes: number;
  readonly #heapBytes: () => number;
  readonly #reduce: () => Promise<boolean>;

  constructor(options: IdleCompactionOptions = {}) {
    this.#quietMs = options.quietMs ?? QUIET_MS;
    this.#minGrowthBytes = options.minGrowthBytes ?? MIN_GROWTH_BYTES;
    this.#heapBytes = options.heapBytes ?? committedHeapBytes;
    this.#reduce = options.reduce ?? reduceHeap;
  }

  activity(): void {
    if (this.#off) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#whenQuiet(), this.#quietMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#off = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #whenQuiet(): void {
    this.#timer = undefined;
    if (this.#reducing || this.#heapBytes() - this.#floor < this.#minGrowthBytes) return;
    this.#reducing = true;
    void this.#reduce()
      .catch(() => false)
      .then((done) => {
        if (!done) this.#off = true;
        this.#reducing = false;
        // Read once V8 is done: the reduction runs after `reduce()` returns.
        this.#floor = this.#heapBytes();
      });
  }
}
