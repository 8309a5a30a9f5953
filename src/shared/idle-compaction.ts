import { committedHeapBytes, compactHeap, exposedGc } from './heap.js';

/** How long the process's clients must be quiet before the heap is compacted. */
export const QUIET_MS = 1000;
/** A compaction costs 20–60 ms of CPU here: only once the heap has grown this much since the last. */
export const MIN_GROWTH_BYTES = 1024 * 1024;

export interface IdleCompactionOptions {
  quietMs?: number;
  minGrowthBytes?: number;
  /**
   * A full collection; `undefined`: nothing is ever done. The default takes `exposedGc()` at the
   * first compaction, so a supervisor pays for its new context when idle, not while it starts.
   */
  gc?: (() => void) | undefined;
  heapBytes?: () => number;
  compact?: (gc: () => void) => void;
}

/**
 * Gives a process's memory back soon after its clients go quiet: a worker (its one client) and
 * the supervisor (all of them). After a session's calls (or a spare's warm-up) part of the heap
 * is garbage on part-empty pages until V8's memory reducer runs, 8 s or more later (2–3 MiB per
 * worker, ~3 MiB of the supervisor: bench/README.md, "Start-up", change 22). `activity()` is
 * called on each client message (and once after start-up); QUIET_MS after the last one,
 * the heap is compacted if it grew MIN_GROWTH_BYTES since the last compaction, so a busy client
 * costs nothing and a client that pauses often costs one compaction per MiB it leaves behind.
 */
export class IdleCompaction {
  #timer: NodeJS.Timeout | undefined;
  /** The committed heap after the last compaction (0: none yet). */
  #floor = 0;
  readonly #quietMs: number;
  readonly #minGrowthBytes: number;
  readonly #gc: (() => void) | undefined;
  readonly #heapBytes: () => number;
  readonly #compact: (gc: () => void) => void;

  constructor(options: IdleCompactionOptions = {}) {
    this.#quietMs = options.quietMs ?? QUIET_MS;
    this.#minGrowthBytes = options.minGrowthBytes ?? MIN_GROWTH_BYTES;
    this.#gc = 'gc' in options ? options.gc : () => exposedGc()();
    this.#heapBytes = options.heapBytes ?? committedHeapBytes;
    this.#compact = options.compact ?? compactHeap;
  }

  activity(): void {
    if (!this.#gc) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#whenQuiet(), this.#quietMs);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #whenQuiet(): void {
    this.#timer = undefined;
    const gc = this.#gc;
    if (!gc || this.#heapBytes() - this.#floor < this.#minGrowthBytes) return;
    this.#compact(gc);
    this.#floor = this.#heapBytes();
  }
}
