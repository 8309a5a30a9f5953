import type { ServerContext } from '@modelcontextprotocol/server';
import { AppError } from '../../shared/errors.js';
import type { BusConnection } from '../dbus/connection.js';
import type { BusKind, CallReply, CallRequest } from '../dbus/types.js';
import { assertBusName, assertInterfaceName, assertMemberName, assertObjectPath } from '../dbus/names.js';
import type { Authorization, ConfirmFn, OperationRequest } from '../policy/index.js';
import type { ToolDeps } from './deps.js';
import type { ConfirmationNeeded } from './confirm.js';
import { confirmerFor } from './confirm.js';
import { describeError } from './result.js';

/** Per-request context a tool passes down: cancellation and a way to ask the human. */
export interface OperationContext {
  signal?: AbortSignal;
  confirm?: ConfirmFn;
  /** Set when a 2026-era client must ask its human first (the tool answers input_required). */
  confirmationNeeded?: ConfirmationNeeded;
  /** Present when the client asked for progress (sent a progress token). Progress only grows. */
  progress?: (progress: number, total?: number, message?: string) => void;
}

/** Interval of "still waiting" progress notifications during a long D-Bus call. */
const CALL_PROGRESS_INTERVAL_MS = 1000;

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
 * Validates every name of a request before anything is decided or sent. A task tool that talks to
 * no service passes destination ''; GetAll passes member ''.
 */
export function validateTarget(req: OperationRequest) {
  if (req.destination === '') return;
  assertBusName(req.destination, 'service');
  assertObjectPath(req.path, 'path');
  if (req.interface !== undefined) assertInterfaceName(req.interface, 'interface');
  if (req.member !== '' || req.access !== 'getall') assertMemberName(req.member, 'member');
}

/**
 * Runs one operation through the policy: validate, authorize (refusal → AppError POLICY_DENIED
 * carrying level, kind, rule and hint), run, then close the audit record with the outcome.
 */
export async function guarded<T>(
  deps: ToolDeps,
  req: OperationRequest,
  octx: OperationContext,
  run: (auth: Authorization, conn: BusConnection) => Promise<T>,
): Promise<T> {
  validateTarget(req);
  const conn = deps.buses.get(req.bus);
  const auth = await deps.policy.authorize(req, { conn, confirm: octx.confirm, signal: octx.signal });
  if (!auth.allowed) {
    if (octx.confirmationNeeded) throw octx.confirmationNeeded;
    throw new AppError(auth.code ?? 'POLICY_DENIED', auth.reason, {
      details: {
        level: auth.level,
        kind: auth.kind,
        ...(auth.rule ? { rule: auth.rule } : {}),
        ...(auth.hint ? { hint: auth.hint } : {}),
        ...(auth.retryAfterMs !== undefined ? { retry_after_ms: auth.retryAfterMs } : {}),
      },
    });
  }
  try {
    const result = await run(auth, conn);
    auth.finish({});
    return result;
  } catch (e) {
    auth.finish({ error: describeError(e).name });
    throw e;
  }
}

/** A D-Bus call with the caller's timeout and signal (the connection bounds concurrency). */
export async function queuedCall(
  _deps: ToolDeps,
  conn: BusConnection,
  req: CallRequest,
  octx: OperationContext & { timeoutMs?: number },
): Promise<CallReply> {
  const opts = { timeoutMs: octx.timeoutMs, signal: octx.signal };
  const { progress } = octx;
  if (!progress) return conn.call(req, opts);
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    progress(seconds, undefined, `waiting for ${req.destination} ${req.member} (${seconds} s)`);
  }, CALL_PROGRESS_INTERVAL_MS);
  try {
    return await conn.call(req, opts);
  } finally {
    clearInterval(timer);
  }
}

/** Checks a per-call timeout override against MAX_CALL_TIMEOUT_MS. */
export function checkTimeout(deps: ToolDeps, timeoutMs: number | undefined): number | undefined {
  if (timeoutMs === undefined) return undefined;
  const max = deps.config().MAX_CALL_TIMEOUT_MS;
  if (timeoutMs > max) {
    throw new AppError(
      'USAGE',
      `timeout_ms ${timeoutMs} is above MAX_CALL_TIMEOUT_MS (${max}); pass at most ${max}`,
    );
  }
  return timeoutMs;
}

export const BUS_KINDS = ['session', 'system'] as const satisfies readonly BusKind[];
