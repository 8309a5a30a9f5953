import type { ToSupervisorWire, ToWorker } from '../shared/ipc.js';
import type { RateBucketName } from '../shared/rate-buckets.js';
import type { ServiceRate, ServiceRateAnswer } from './policy/index.js';

/** How long the worker waits for the supervisor's answer before it refuses the operation. */
export const SERVICE_RATE_WAIT_MS = 2000;

/**
 * The service-wide rate limit as a forked worker sees it: the buckets are the supervisor's (all
 * clients of one `serve` share them, and they outlive workers and reloads), so each token is asked
 * for over IPC (`rate-take` → `rate-answer`). No answer within the wait refuses the operation.
 */
export class SupervisorRate {
  #next = 0;
  readonly #pending = new Map<number, (answer: ServiceRateAnswer) => void>();

  constructor(
    private readonly send: (msg: ToSupervisorWire) => void,
    private readonly waitMs = SERVICE_RATE_WAIT_MS,
  ) {}

  /** Asks for one token of `bucket`. */
  readonly rate: ServiceRate = (bucket: RateBucketName, signal?: AbortSignal) =>
    new Promise<ServiceRateAnswer>((resolve) => {
      const id = ++this.#next;
      const settle = (answer: ServiceRateAnswer): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
        resolve(answer);
      };
      const timer = setTimeout(
        () =>
          settle({
            ok: false,
            limit: 0,
            retryAfterMs: 1000,
            message: `the service-wide rate limit could not be checked (the supervisor did not answer within ${this.waitMs} ms)`,
          }),
        this.waitMs,
      );
      const onAbort = (): void =>
        settle({ ok: false, limit: 0, retryAfterMs: 0, message: 'the request was cancelled' });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, settle);
      this.send({ t: 'rate-take', id, bucket });
    });

  /** The supervisor's answer to one `rate-take`; unknown ids (answered too late) are dropped. */
  answer(msg: Extract<ToWorker, { t: 'rate-answer' }>): void {
    this.#pending.get(msg.id)?.(
      msg.ok ? { ok: true } : { ok: false, limit: msg.limit ?? 0, retryAfterMs: msg.retryAfterMs ?? 1000 },
    );
  }
}
