import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * Keeps this process's young generation at V8's initial size (two 1 MiB semi-spaces), what
 * `--max-semi-space-size=1` does for the workers. For the supervisor, whose command line is the
 * unit's or the user's: left to grow (16 MiB semi-spaces by default) while it relays a burst, its
 * young generation stayed resident, up to ~10 MiB of an idle service (bench/README.md,
 * "Start-up", change 21). V8 reads the growth factor each time it would grow the new space, so
 * setting it at run time holds (test/unit/shared/heap.test.ts).
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Bytes V8 holds for this process's heap (committed, used or not). */
export function committedHeapBytes(): number {
  return getHeapStatistics().total_heap_size;
}

/**
 * A full collection that also compacts: live objects move off part-empty pages, and V8 gives the
 * emptied pages back. A plain full collection leaves fragmented pages in place (a worker after a
 * session's calls, committed: 19.8 → 19.8 MB plain, → 17.8 MB compacting). V8's own memory
 * reducer, ~8 s after the last full collection, ends lower still (16.8 MB): it also gives back
 * the young generation's idle semi-space, which no collection a program can ask for does.
 * `gc` is the `--expose-gc` function.
 */
export function compactHeap(gc: () => void): void {
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

let gcFunction: (() => void) | undefined;

/**
 * V8's `gc()`: the global one when node runs with `--expose-gc` (the workers: worker-process.ts);
 * else, for a process whose command line is not ours (the supervisor, started by the unit), the
 * flag is set on the first call and the function taken from a new context, the only kind V8
 * installs it in (~4 ms and ~2 MiB, once: `node:vm` is loaded only then, and the worker snapshot's
 * builder warns about every module it sees).
 */
export function exposedGc(): () => void {
  if (gcFunction) return gcFunction;
  const global = (globalThis as { gc?: () => void }).gc;
  if (global) return (gcFunction = global);
  setFlagsFromString('--expose-gc');
  gcFunction = process.getBuiltinModule('node:vm').runInNewContext('gc') as () => void;
  return gcFunction;
}
