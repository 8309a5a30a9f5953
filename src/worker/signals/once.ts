import { AppError } from '../../shared/errors.js';
import type { BusKind, SignalMessage } from '../dbus/types.js';
import type { SignalFilter } from './match-rule.js';
import { buildMatchRule, filterMatches, validateFilter } from './match-rule.js';

/** What listening needs of a connection (a BusConnection is one; the gate hands it out inside an operation). */
export interface SignalPort {
  readonly kind: BusKind;
  onSignal(listener: (msg: SignalMessage) => void): () => void;
  addMatch(rule: string): Promise<void>;
  removeMatch(rule: string): Promise<void>;
}

/** A match rule held for one expected signal (a portal Response, a systemd JobRemoved). */
export interface ArmedSignal {
  /** Resolves with the first matching signal (even one that came before the call); rejects on timeout or abort. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<SignalMessage>;
  /** Releases the rule and the listener. Safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Starts listening for a signal before the call that causes it is made — the only order that
 * cannot miss a fast reply. The listener is attached before AddMatch; `accept` narrows further
 * (e.g. a job path). The bus rule includes `sender`; locally the rest of the filter is checked.
 */
export async function armSignal(
  conn: SignalPort,
  filter: Omit<SignalFilter, 'bus'>,
  accept: (msg: SignalMessage) => boolean = () => true,
): Promise<ArmedSignal> {
  const valid = validateFilter({ ...filter, bus: conn.kind });
  const rule = buildMatchRule(valid);
  const local: SignalFilter = { ...valid, sender: undefined };
  const seen: SignalMessage[] = [];
  let wake: (() => void) | undefined;
  const unlisten = conn.onSignal((msg) => {
    if (!filterMatches(local, msg, undefined) || !accept(msg)) return;
    seen.push(msg);
    wake?.();
  });
  try {
    await conn.addMatch(rule);
  } catch (e) {
    unlisten();
    throw e;
  }
  let released = false;
  return {
    async next(timeoutMs, signal) {
      const what = `${valid.interface ?? ''}.${valid.member ?? 'signal'} on ${valid.path ?? valid.path_namespace ?? '/'}`;
      while (seen.length === 0) {
        if (signal?.aborted) throw new AppError('DBUS_CALL_ABORTED', `waiting for ${what} was cancelled`);
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            wake = undefined;
            if (err) reject(err);
            else resolve();
          };
          const onAbort = () => done(new AppError('DBUS_CALL_ABORTED', `waiting for ${what} was cancelled`));
          const timer = setTimeout(
            () => done(new AppError('DBUS_TIMEOUT', `no ${what} within ${timeoutMs} ms`)),
            timeoutMs,
          );
          signal?.addEventListener('abort', onAbort, { once: true });
          wake = () => done();
        });
      }
      return seen.shift() as SignalMessage;
    },
    async release() {
      if (released) return;
      released = true;
      unlisten();
      await conn.removeMatch(rule);
    },
  };
}
