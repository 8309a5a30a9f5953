import { availableParallelism } from 'node:os';
import { cpuQuota } from './cpu-quota.js';
import type { WorkerLike } from './worker.js';

/**
 * How many workers may boot at once without sharing a CPU: the CPUs this process may use, fewer
 * under a CPU quota (the unit's CPUQuota=50% is one), at least one. Read once per supervisor.
 */
export function machineBootSlots(): number {
  const quota = cpuQuota();
  const cpus = availableParallelism();
  return Math.max(1, quota ? Math.min(cpus, Math.ceil(quota.percent / 100)) : cpus);
}

/**
 * Starts the workers clients wait for at most `slots` at a time, the others in the order their
 * clients came as slots free up. Booting is CPU-bound: with more boots than CPUs, they share the
 * CPUs and all end late together; one after another, the first clients are served at once and the
 * last hardly later (bench/README.md, "Bursts"). A worker stopped while it waits is skipped.
 */
export class BootSlots {
  #booting = 0;
  readonly #waiting: WorkerLike[] = [];

  constructor(private readonly slots: number) {}

  /** True when a worker given to `start` now would start at once. */
  free(): boolean {
    return this.#booting < this.slots;
  }

  /** Workers given to `start` that wait for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Starts `worker` (state `created`) now or once a slot is free. */
  start(worker: WorkerLike): void {
    this.#waiting.push(worker);
    this.#pump();
  }

  #pump(): void {
    while (this.#booting < this.slots) {
      const next = this.#waiting.shift();
      if (!next) return;
      if (next.state !== 'created') continue;
      this.#booting++;
      next.start();
      void next
        .whenBooted()
        .catch(() => {})
        .finally(() => {
          this.#booting--;
          this.#pump();
        });
    }
  }
}
