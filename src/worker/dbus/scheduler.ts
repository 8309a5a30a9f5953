import PQueue from 'p-queue';

/**
 * Many waits on one AbortSignal share one listener. A tool that sends N calls under one request
 * would otherwise add N 'abort' listeners to the request's signal, and Node warns past ten
 * (MaxListenersExceededWarning).
 */
export class AbortWatch {
  readonly #watched = new WeakMap<AbortSignal, { fns: Set<() => void>; fire: () => void }>();

  /** Calls `fn` once when `signal` aborts. Returns the function that stops watching (idempotent). */
  on(signal: AbortSignal, fn: () => void): () => void {
    let entry = this.#watched.get(signal);
    if (!entry) {
      const fns = new Set<() => void>();
      const fire = () => {
        this.#watched.delete(signal);
        for (const f of [...fns]) f();
      };
      entry = { fns, fire };
      this.#watched.set(signal, entry);
      signal.addEventListener('abort', fire, { once: true });
    }
    const { fns, fire } = entry;
    fns.add(fn);
    return () => {
      if (!fns.delete(fn) || fns.size > 0) return;
      signal.removeEventListener('abort', fire);
      if (this.#watched.get(signal)?.fns === fns) this.#watched.delete(signal);
    };
  }
}

/**
 * The bound on D-Bus calls one connection has in flight (MAX_CONCURRENT_CALLS, read per call so a
 * reload applies to the next one). Every call of the connection — tools, introspection, owner
 * look-ups, match rules, the signal hub — waits here for a slot, first come first served; a slot
 * is held only while one request waits for its reply, never across awaits of other calls.
 */
export class CallScheduler {
  readonly #queue = new PQueue({ concurrency: 1 });
  readonly #concurrency: () => number;
  readonly #aborts: AbortWatch;

  constructor(concurrency: () => number, aborts: AbortWatch) {
    this.#concurrency = concurrency;
    this.#aborts = aborts;
  }

  /**
   * Runs `task` in a free slot. When `signal` aborts while the task still waits, it rejects at
   * once with `aborted()` and the task never runs; once running, the task handles aborts itself.
   */
  run<T>(task: () => Promise<T>, signal: AbortSignal | undefined, aborted: () => Error): Promise<T> {
    if (signal?.aborted) return Promise.reject(aborted());
    const limit = this.#concurrency();
    if (this.#queue.concurrency !== limit) this.#queue.concurrency = limit;
    return new Promise<T>((resolve, reject) => {
      let waiting = true;
      const unwatch = signal
        ? this.#aborts.on(signal, () => {
            if (!waiting) return;
            waiting = false;
            reject(aborted());
          })
        : () => undefined;
      void this.#queue.add(async () => {
        if (!waiting) return; // abandoned while queued: the slot is free again at once
        waiting = false;
        unwatch();
        try {
          resolve(await task());
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** Calls waiting for a slot (not counting those running). */
  get waiting(): number {
    return this.#queue.size;
  }
}
