import type * as inspector from 'node:inspector';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

type InspectorModule = typeof inspector;

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
 * Now, what V8's memory reducer does 8 s or more after the last full collection: full collections
 * that compact every fragmented page, shrink the young generation to its initial size and give
 * back its idle semi-space and V8's pooled pages (`Isolate::LowMemoryNotification`). Node has no
 * API for it; the in-process inspector's `HeapProfiler.collectGarbage` is that call, and needs no
 * port, flag or enabled domain. V8 runs it from a task with an empty stack, so it is done when the
 * promise resolves (true): tens of ms of CPU for a worker. `gc()` cannot do it: a plain one leaves
 * the young generation as it is, and on this node (V8 11.3) `gc` with any options object runs a
 * scavenge only (bench/README.md, "Start-up", changes 22 and 25). False when node was built
 * without the inspector: V8's own reducer is then the only one.
 */
export function reduceHeap(): Promise<boolean> {
  const api = loadInspector();
  if (!api) return Promise.resolve(false);
  const session = new api.Session();
  try {
    session.connect();
  } catch {
    return Promise.resolve(false); // no inspector in this process after all
  }
  return new Promise((resolve) => {
    session.post('HeapProfiler.collectGarbage', (err) => {
      // Disconnecting from inside the callback hung node 20 (tried): after it has returned.
      setImmediate(() => session.disconnect());
      resolve(!err);
    });
  });
}

let inspectorModule: InspectorModule | null | undefined;

/** `node:inspector`, loaded on the first reduction (not at start-up), or null without one. */
function loadInspector(): InspectorModule | null {
  if (inspectorModule !== undefined) return inspectorModule;
  try {
    inspectorModule = process.getBuiltinModule('node:inspector') ?? null;
  } catch {
    inspectorModule = null; // ERR_INSPECTOR_NOT_AVAILABLE
  }
  return inspectorModule;
}
