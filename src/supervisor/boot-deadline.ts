import type { BootBudget } from './worker.js';

/** The no-progress deadline is at least this many times the supervisor's own start-up. */
export const STARTUP_FACTOR = 6;
/** … and at least this many times the slowest of the recent worker boots. */
export const BOOT_FACTOR = 3;
const RECENT = 8;

export interface BootDeadlineOptions {
  /** WORKER_BOOT_TIMEOUT_MIN_MS: the no-progress deadline never goes below it. */
  floorMs: number;
  /** WORKER_BOOT_TIMEOUT_MAX_MS: no boot takes longer, progress or not. */
  ceilingMs: number;
  /** How long this process took from its start to listening: a measure of the machine. */
  supervisorStartupMs: number;
}

/**
 * How long a booting worker may go without progress before it counts as hung, learned from the
 * machine: at least the floor, STARTUP_FACTOR × the supervisor's own start-up, BOOT_FACTOR × the
 * slowest recent boot, and twice any deadline a worker missed since the last boot that worked;
 * never above the ceiling. A whole boot may take up to the ceiling while it reports progress.
 */
export class BootDeadline {
  private recent: number[] = [];
  private missed = 0;

  constructor(private options: BootDeadlineOptions) {}

  /** SIGHUP: new floor and ceiling; what was learned is kept. */
  setLimits(floorMs: number, ceilingMs: number): void {
    this.options = { ...this.options, floorMs, ceilingMs };
  }

  budget(): BootBudget {
    return { stallMs: this.stallMs(), totalMs: this.ceilingMs() };
  }

  stallMs(): number {
    const learned = Math.max(
      this.options.floorMs,
      STARTUP_FACTOR * this.options.supervisorStartupMs,
      BOOT_FACTOR * Math.max(0, ...this.recent),
      this.missed,
    );
    return Math.round(Math.min(this.ceilingMs(), learned));
  }

  /** A worker booted in `ms`. */
  recordBoot(ms: number): void {
    this.recent = [...this.recent, ms].slice(-RECENT);
    this.missed = 0;
  }

  /** A worker was killed for making no progress within `stallMs`: the next one gets twice that. */
  recordStall(stallMs: number): void {
    this.missed = Math.min(this.ceilingMs(), Math.max(this.missed, 2 * stallMs));
  }

  describe(): {
    stallMs: number;
    totalMs: number;
    supervisorStartupMs: number;
    slowestBootMs: number | null;
  } {
    return {
      ...this.budget(),
      supervisorStartupMs: Math.round(this.options.supervisorStartupMs),
      slowestBootMs: this.recent.length ? Math.max(...this.recent) : null,
    };
  }

  private ceilingMs(): number {
    return Math.max(this.options.floorMs, this.options.ceilingMs);
  }
}
