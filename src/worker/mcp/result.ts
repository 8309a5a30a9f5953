import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import { AppError, DBusCallError, errorMessage } from '../../shared/errors.js';
import { DBUS_ERRORS } from '../dbus/well-known.js';
import { ConfirmationNeeded, confirmationRequest } from './confirm.js';

/**
 * The machine-readable error of a failed tool call, kept in the result's `_meta` under
 * {@link ERROR_META_KEY}: `name` (`dbus-mcp.<CODE>` or the D-Bus error name), `message`, and what
 * the failure adds (`hint`; a refusal's `level`, `kind`, `rule`, `retry_after_ms`).
 */
export interface ToolErrorInfo {
  name: string;
  message: string;
  [extra: string]: unknown;
}

const INTERACTIVE: ReadonlySet<string> = new Set([
  DBUS_ERRORS.InteractiveAuthorizationRequired,
  DBUS_ERRORS.PolkitInteractiveAuthorizationRequired,
]);

/** The `_meta` key of a failed result's {@link ToolErrorInfo} (a `_meta` prefix of our own, per the spec). */
export const ERROR_META_KEY = 'dbus-mcp/error';

/** A successful data result: the JSON as text for the model and as `structuredContent`. */
export function dataResult<T extends Record<string, unknown>>(data: T, summary?: string): CallToolResult {
  const text = JSON.stringify(data, null, 2);
  return {
    content: [{ type: 'text', text: summary ? `${summary}\n${text}` : text }],
    structuredContent: data,
  };
}

/**
 * Maps any failure to an `isError` result naming what went wrong (or, when a 2026-era client must
 * first ask its human, to the input_required result that makes it ask). Never throws.
 *
 * The text says it all (`name: message`, then the hint on its own line): it is what every client
 * shows the model. There is no `structuredContent`: it would have to match the tool's
 * `outputSchema`, and clients that check it on errors too (the v1 SDK client since 1.21 and the
 * hosts built on it) replace a mismatching result with a protocol error, hiding the real one.
 * The same error, machine-readable, rides in `_meta` under {@link ERROR_META_KEY}.
 */
export function errorResult(e: unknown): CallToolResult | InputRequiredResult {
  if (e instanceof ConfirmationNeeded) return confirmationRequest(e);
  const info = describeError(e);
  const hint = typeof info.hint === 'string' ? `\n${info.hint}` : '';
  return {
    isError: true,
    content: [{ type: 'text', text: `${info.name}: ${info.message}${hint}` }],
    _meta: { [ERROR_META_KEY]: info },
  };
}

/** The error as a client sees it: the D-Bus error name or `dbus-mcp.<CODE>`, the message, a hint. */
export function describeError(e: unknown): ToolErrorInfo {
  if (e instanceof DBusCallError) {
    const info: ToolErrorInfo = { name: e.dbusName, message: e.dbusMessage };
    // Errors the gate explains further (a service that is not running) carry their own hint.
    const hint = (e as { hint?: unknown }).hint;
    if (typeof hint === 'string') info.hint = hint;
    if (INTERACTIVE.has(e.dbusName)) {
      info.hint =
        'The service wants interactive polkit authorization (a password prompt for the human). ' +
        'dbus-mcp never answers such prompts; the operation needs a polkit rule or must be done by the user.';
    }
    return info;
  }
  if (e instanceof AppError) {
    return { name: `dbus-mcp.${e.code}`, message: e.message, ...(e.details ?? {}) };
  }
  return { name: 'dbus-mcp.INTERNAL', message: errorMessage(e) };
}
