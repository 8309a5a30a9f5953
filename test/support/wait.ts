export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** How long to wait in all (default 10 s). */
  ms?: number;
  /** How often to probe (default 25 ms). */
  intervalMs?: number;
  /** Probed before each wait: a reason makes the wait fail at once (e.g. the process it waits on exited). */
  abort?: () => string | undefined;
}

/**
 * Polls `probe` until it returns something other than `undefined` or `false` and resolves with it.
 * Fails naming `what` after `ms`, or at once when `abort` gives a reason.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: number | WaitOptions = {},
): Promise<T> {
  const { ms = 10_000, intervalMs = 25, abort } = typeof options === 'number' ? { ms: options } : options;
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    const reason = abort?.();
    if (reason !== undefined) throw new Error(`${reason} while waiting for ${what}`);
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
