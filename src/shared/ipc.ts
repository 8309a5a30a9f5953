import { z } from 'zod';
import { configTextSchema } from './config.js';
import type { ErrorCode } from './errors.js';
import { AppError, ERROR_CODES } from './errors.js';

/**
 * The one protocol between the supervisor and a worker, over the `child_process.fork` IPC channel
 * (JSON serialization). Both sides parse every message with these schemas and dispatch through a
 * handler table (`dispatch`). Ordering rules:
 *
 * supervisor → worker: `attach` exactly once (a spare worker waits for it), then any of `mcp`,
 * `config`, `flow`, `ping`, `shutdown`, and one `rate-answer` for each `rate-take` (same `id`);
 * `start-answers` in any phase once booted (answered with one `start-answers-reply`, same `id`).
 *
 * worker → supervisor: `boot-progress` while it loads (each stage it reaches, so a slow machine is
 * told apart from a hung worker), `booted` once the program is loaded (before attach), `ready` once
 * the MCP server serves the attached client (a worker counts as ready only then), `start-failed`
 * (with the catalogue code of the fault) when it cannot get there, then `mcp`, `pong` (+ `stats`),
 * `policy-state` whenever the policy state changed, `rate-take` before an allowed non-read operation
 * (the service-wide token bucket is the supervisor's; the worker waits a bounded time for the answer).
 *
 * Senders build the wire form (`…Wire`, e.g. configuration as text values); receivers get the
 * parsed form (`ToWorker`, `ToSupervisor`).
 */

const requestId = z.union([z.string(), z.number()]);
const params = z.record(z.string(), z.unknown());

/** One JSON-RPC 2.0 message (request, notification, result or error). Unknown keys are kept. */
export const jsonRpcMessageSchema = z.union([
  z.looseObject({ jsonrpc: z.literal('2.0'), id: requestId, method: z.string(), params: params.optional() }),
  z.looseObject({ jsonrpc: z.literal('2.0'), method: z.string(), params: params.optional() }),
  z.looseObject({ jsonrpc: z.literal('2.0'), id: requestId, result: z.record(z.string(), z.unknown()) }),
  z.looseObject({
    jsonrpc: z.literal('2.0'),
    id: z.union([requestId, z.null()]).optional(),
    error: z.looseObject({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }),
  }),
]);
export type JsonRpcMessage = z.infer<typeof jsonRpcMessageSchema>;
export type JsonRpcId = z.infer<typeof requestId>;

/**
 * A JSON object (not null, not an array). For values that came from JSON, which is all these checks
 * see (the client's line, the JSON IPC channel), it is what zod's plain-object test of a record is.
 */
const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** A JSON-RPC id JSON can carry: a string or a finite number. */
export const isRequestId = (v: unknown): v is JsonRpcId =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * `jsonRpcMessageSchema`'s verdict on a value from JSON, without zod and without the copy it builds:
 * the relay checks every message of every client on its way in and out (bench/README.md, change
 * 26). test/unit/shared/ipc-json-rpc.test.ts holds the two to the same verdict.
 */
export function isJsonRpcMessage(v: unknown): v is JsonRpcMessage {
  if (!isJsonObject(v) || v.jsonrpc !== '2.0') return false;
  // A request or a notification (the id of a notification is not looked at).
  if (typeof v.method === 'string' && (v.params === undefined || isJsonObject(v.params))) return true;
  if (isRequestId(v.id) && isJsonObject(v.result)) return true;
  const error = v.error;
  return (
    (v.id === undefined || v.id === null || isRequestId(v.id)) &&
    isJsonObject(error) &&
    Number.isSafeInteger(error.code) &&
    typeof error.message === 'string'
  );
}

/** A configuration as carried over IPC: every key as text, parsed with the key's own schema. */
const configSchema = configTextSchema;

const bucketSchema = z.object({ tokens: z.number().finite(), updatedAt: z.number().finite() });
/**
 * Per-client policy state (rate-limit buckets, `updatedAt` in wall-clock ms): the supervisor keeps
 * the latest a worker reported and hands it to the replacement, so a crash never resets a limit.
 */
export const policyStateSchema = z.object({
  version: z.literal(1),
  buckets: z.object({
    notify: bucketSchema.optional(),
    screenshot: bucketSchema.optional(),
    mutating: bucketSchema.optional(),
  }),
});
export type PolicyStateWire = z.infer<typeof policyStateSchema>;

/** A JSON-RPC `result` object, as the SDK server gave it. */
export const resultSchema = z.record(z.string(), z.unknown());
/**
 * What a session opens with, answered by a worker's own SDK server for one configuration: the
 * canonical 2026-era `server/discover`, and per 2025-era protocol version the SDK echoes, the
 * `initialize` result and the `tools/list` that follows it (supervisor/start-answers.ts).
 */
export const startAnswersSchema = z.object({
  discover: resultSchema,
  opening: z.record(z.string(), z.object({ initialize: resultSchema, toolsList: resultSchema })),
});
export type StartAnswers = z.infer<typeof startAnswersSchema>;

const rateBucketSchema = z.enum(['notify', 'screenshot', 'mutating']);

const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const toWorkerSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('attach'),
    clientId: z.string(),
    config: configSchema,
    policyState: policyStateSchema.optional(),
  }),
  z.object({ t: z.literal('mcp'), msg: jsonRpcMessageSchema }),
  z.object({ t: z.literal('config'), config: configSchema }),
  /** Backpressure from the client socket: while paused, the worker holds its outgoing MCP messages. */
  z.object({ t: z.literal('flow'), paused: z.boolean() }),
  z.object({ t: z.literal('ping'), n: z.number().int() }),
  z.object({ t: z.literal('shutdown') }),
  /**
   * Asks for the answers this worker's MCP server gives the stateless requests a session opens
   * with, under `config` (any phase once booted): worker/start-answers.ts.
   */
  z.object({ t: z.literal('start-answers'), id: z.number().int(), config: configSchema }),
  /** The supervisor's answer to `rate-take`: a service-wide token was taken, or when to retry. */
  z.object({
    t: z.literal('rate-answer'),
    id: z.number().int(),
    ok: z.boolean(),
    limit: z.number().int().nonnegative().optional(),
    retryAfterMs: z.number().int().nonnegative().optional(),
  }),
]);
export type ToWorker = z.output<typeof toWorkerSchema>;
export type ToWorkerWire = z.input<typeof toWorkerSchema>;

export const toSupervisorSchema = z.discriminatedUnion('t', [
  /** A boot stage reached (`started`, `modules-loaded`, `warm-up`, …); progress, not readiness. */
  z.object({ t: z.literal('boot-progress'), stage: z.string() }),
  z.object({ t: z.literal('booted') }),
  z.object({ t: z.literal('ready') }),
  z.object({ t: z.literal('start-failed'), code: errorCodeSchema, message: z.string() }),
  z.object({ t: z.literal('mcp'), msg: jsonRpcMessageSchema }),
  z.object({ t: z.literal('pong'), n: z.number().int() }),
  z.object({
    t: z.literal('stats'),
    rssBytes: z.number(),
    heapUsedBytes: z.number(),
  }),
  z.object({ t: z.literal('policy-state'), state: policyStateSchema }),
  /** The answer to `start-answers` (same `id`): the results the worker's SDK server gave, or why there are none. */
  z.object({
    t: z.literal('start-answers-reply'),
    id: z.number().int(),
    answers: startAnswersSchema.optional(),
    error: z.string().optional(),
  }),
  /** Asks for one token of the service-wide bucket (all clients of this `serve` together). */
  z.object({ t: z.literal('rate-take'), id: z.number().int(), bucket: rateBucketSchema }),
]);
export type ToSupervisor = z.output<typeof toSupervisorSchema>;
export type ToSupervisorWire = z.input<typeof toSupervisorSchema>;

/** One handler per message tag; the compiler checks the table is complete. */
export type Handlers<M extends { t: string }> = { [K in M['t']]: (msg: Extract<M, { t: K }>) => void };

/**
 * Parses a raw IPC message; throws AppError IPC_INVALID naming what did not match. An `mcp`
 * message, which both directions carry alike and which is almost all of the traffic, is judged by
 * `isJsonRpcMessage` (zod's union builds a copy of each message and tries its branches in turn);
 * anything else, and an `mcp` message that fails, by the schema.
 */
export function parseIpc(schema: typeof toWorkerSchema, raw: unknown): ToWorker;
export function parseIpc(schema: typeof toSupervisorSchema, raw: unknown): ToSupervisor;
export function parseIpc(
  schema: typeof toWorkerSchema | typeof toSupervisorSchema,
  raw: unknown,
): ToWorker | ToSupervisor {
  if (isJsonObject(raw) && raw.t === 'mcp' && isJsonRpcMessage(raw.msg)) return { t: 'mcp', msg: raw.msg };
  const result = schema.safeParse(raw);
  if (!result.success) {
    const tag = typeof raw === 'object' && raw !== null && 't' in raw ? String(raw.t) : '?';
    throw new AppError(
      'IPC_INVALID',
      `IPC message '${tag}' does not match the schema: ${result.error.message}`,
    );
  }
  return result.data;
}

/** Calls the handler for `msg.t`. */
export function dispatch<M extends { t: string }>(handlers: Handlers<M>, msg: M): void {
  (handlers[msg.t as M['t']] as (m: M) => void)(msg);
}
