import type { ServerContext } from '@modelcontextprotocol/server';
import type { Config } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';
import type { ConfirmFn } from '../policy/index.js';
import type { ConfirmationNeeded } from './confirm.js';
import { confirmerFor } from './confirm.js';

/** Per-request context a tool passes down: cancellation, a way to ask the human, progress. */
export interface OperationContext {
  signal?: AbortSignal;
  confirm?: ConfirmFn;
  /** Set when a 2026-era client must ask its human first (the tool answers input_required). */
  confirmationNeeded?: ConfirmationNeeded;
  /** Present when the client asked for progress (sent a progress token). Progress only grows. */
  progress?: (progress: number, total?: number, message?: string) => void;
}

/** Interval of "still waiting" progress notifications. */
const PROGRESS_INTERVAL_MS = 1000;

function progressFor(ctx: ServerContext): OperationContext['progress'] {
  const token = ctx.mcpReq._meta?.progressToken;
  if (token === undefined) return undefined;
  let last = -1;
  return (progress, total, message) => {
    if (progress <= last) return;
    last = progress;
    const params = {
      progressToken: token,
      progress,
      ...(total !== undefined ? { total } : {}),
      ...(message ? { message } : {}),
    };
    ctx.mcpReq.notify({ method: 'notifications/progress', params }).catch(() => undefined);
  };
}

/** Builds the operation context from the SDK's request context. */
export function operationContext(ctx: ServerContext): OperationContext {
  const octx: OperationContext = { signal: ctx.mcpReq.signal, progress: progressFor(ctx) };
  octx.confirm = confirmerFor(ctx, (needed) => (octx.confirmationNeeded = needed));
  return octx;
}

/**
 * Resolves with `work`, and while it runs — when the client asked for progress — sends "still
 * waiting" once a second: progress in milliseconds since the start (of `totalMs` when the wait
 * has a known bound) and `message (N s)`.
 */
export async function withProgress<T>(
  octx: OperationContext,
  message: string,
  work: Promise<T>,
  totalMs?: number,
): Promise<T> {
  const { progress } = octx;
  if (!progress) return work;
  const started = Date.now();
  const timer = setInterval(() => {
    const ms = Date.now() - started;
    progress(ms, totalMs, `${message} (${Math.round(ms / 1000)} s)`);
  }, PROGRESS_INTERVAL_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Checks a per-call timeout override against MAX_CALL_TIMEOUT_MS (INVALID_ARGUMENT past it). */
export function checkTimeout(config: Config, timeoutMs: number | undefined): number | undefined {
  if (timeoutMs === undefined) return undefined;
  const max = config.MAX_CALL_TIMEOUT_MS;
  if (timeoutMs > max) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `timeout_ms ${timeoutMs} is above MAX_CALL_TIMEOUT_MS (${max}); pass at most ${max}`,
    );
  }
  return timeoutMs;
}
