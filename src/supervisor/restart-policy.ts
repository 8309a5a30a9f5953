/** Crashes counted for the crash-loop limit are those within this window. */
export const CRASH_WINDOW_MS = 60_000;
/** More crashes than this within the window close the client with a final error. */
export const MAX_CRASHES = 5;

/** Crash-loop accounting: the delay before the next restart, or that the session must end. */
export class CrashCounter {
  private times: number[] = [];

  record(now = Date.now()): { crashes: number; delayMs: number; giveUp: boolean } {
    this.times = this.times.filter((t) => now - t < CRASH_WINDOW_MS);
    this.times.push(now);
    const crashes = this.times.length;
    const delayMs = crashes <= 1 ? 0 : Math.min(5000, 100 * 2 ** (crashes - 2));
    return { crashes, delayMs, giveUp: crashes > MAX_CRASHES };
  }
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; crashes: number }
  | { action: 'give-up'; why: 'never-ready' | 'crash-loop'; crashes: number };

/**
 * What a session does when its worker exits unintentionally. A client whose workers never got
 * ready gets one more try (the spare it was handed may have been broken), not a restart loop
 * (piscina's bootstrap-failure rule, kept per client); a client that was served restarts with
 * backoff until MAX_CRASHES within CRASH_WINDOW_MS, then gives up.
 */
export class RestartPolicy {
  private readonly crashes = new CrashCounter();

  decide(everReady: boolean, now = Date.now()): RestartDecision {
    const { crashes, delayMs, giveUp } = this.crashes.record(now);
    if (!everReady && crashes > 1) return { action: 'give-up', why: 'never-ready', crashes };
    if (giveUp) return { action: 'give-up', why: 'crash-loop', crashes };
    return { action: 'restart', delayMs, crashes };
  }
}
