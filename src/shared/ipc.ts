import { z } from 'zod';
import type { Config } from './config.js';
import { AppError } from './errors.js';

/**
 * The one protocol between the supervisor and a worker, over the `child_process.fork` IPC channel
 * (JSON serialization). Both sides parse every message with these schemas and dispatch through a
 * handler table (`dispatch`). Ordering rules:
 *
 * supervisor → worker: `attach` exactly once (a spare worker waits for it), then any of `mcp`,
 * `config`, `flow`, `ping`, `shutdown`.
 *
 * worker → supervisor: `booted` once the program is loaded (before attach), `ready` once the MCP
 * server serves the attached client (a worker counts as ready only then), `start-failed` when it
 * cannot get there, then `mcp`, `pong` (+ `stats`), `policy-state` whenever the policy state changed.
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

/** A configuration as carried over IPC: the parsed `Config` (JSON drops keys whose value is undefined). */
const configSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .transform((c) => c as unknown as Config);

/** Per-client policy state (rate-limit buckets); opaque to the supervisor, which keeps the latest. */
const policyStateSchema = z.unknown();

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
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

export const toSupervisorSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('booted') }),
  z.object({ t: z.literal('ready') }),
  z.object({ t: z.literal('start-failed'), message: z.string() }),
  z.object({ t: z.literal('mcp'), msg: jsonRpcMessageSchema }),
  z.object({ t: z.literal('pong'), n: z.number().int() }),
  z.object({
    t: z.literal('stats'),
    rssBytes: z.number(),
    heapUsedBytes: z.number(),
  }),
  z.object({ t: z.literal('policy-state'), state: policyStateSchema }),
]);
export type ToSupervisor = z.infer<typeof toSupervisorSchema>;

/** One handler per message tag; the compiler checks the table is complete. */
export type Handlers<M extends { t: string }> = { [K in M['t']]: (msg: Extract<M, { t: K }>) => void };

/** Parses a raw IPC message; throws AppError IPC_INVALID naming what did not match. */
export function parseIpc<M>(schema: z.ZodType<M>, raw: unknown): M {
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
