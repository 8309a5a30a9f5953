import { AppError } from '../../shared/errors.js';
import type { OperationKind } from './levels.js';
import { OPERATION_KINDS, isOperationKind } from './levels.js';

/**
 * One confirmation: the text shown to the human, and the key its answer is bound to (a hash of the
 * full canonical operation, confirm-key.ts: an answer given under one key authorizes nothing else).
 */
export interface ConfirmQuestion {
  question: string;
  key: string;
}

/** Asks the human (MCP elicitation / input-required); resolves true only on an explicit yes. */
export type ConfirmFn = (ask: ConfirmQuestion, options?: { signal?: AbortSignal }) => Promise<boolean>;

export type ConfirmOutcome = 'accepted' | 'declined' | 'unavailable' | 'timeout' | 'aborted';

/** ASK_KINDS (`notify,clipboard_write`) → a set; an unknown kind or `forbidden` is a config error. */
export function parseAskKinds(value: string): Set<OperationKind> {
  const out = new Set<OperationKind>();
  for (const raw of value.split(',')) {
    const k = raw.trim();
    if (k === '') continue;
    if (!isOperationKind(k) || k === 'forbidden') {
      throw new AppError(
        'CONFIG_INVALID',
        `ASK_KINDS: '${k}' is not an operation kind; expected a comma-separated list of ${OPERATION_KINDS.filter((x) => x !== 'forbidden').join(', ')}`,
      );
    }
    out.add(k);
  }
  return out;
}

/**
 * Asks through `confirm` and waits at most `timeoutMs`. No callback (the client cannot ask),
 * a no, a failure of the callback, the timeout or an abort all mean the operation is refused.
 */
export async function askHuman(
  confirm: ConfirmFn | undefined,
  question: ConfirmQuestion,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ConfirmOutcome> {
  if (!confirm) return 'unavailable';
  if (signal?.aborted) return 'aborted';
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<ConfirmOutcome>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const aborted = new Promise<ConfirmOutcome>((resolve) => {
    onAbort = () => resolve('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const answer = confirm(question, { signal: controller.signal }).then(
    (yes): ConfirmOutcome => (yes === true ? 'accepted' : 'declined'),
    (): ConfirmOutcome => 'unavailable',
  );
  try {
    return await Promise.race([answer, timeout, aborted]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // Withdraw the question when it is no longer wanted (timeout, abort).
    controller.abort();
  }
}
