import { z } from 'zod';

/**
 * The status document: what the supervisor answers on its control socket `<socket>.ctl` (one
 * JSON document and a newline per connection) and `dbus-mcp status` prints. A contract between
 * the running server and the CLI, which may be a newer build: fields added later have defaults.
 */

export const SESSION_PHASES = ['starting', 'replaying', 'ready', 'restarting', 'closing'] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

/** One connected client. */
export const sessionStatusSchema = z.object({
  id: z.string(),
  workerPid: z.number().nullable(),
  /** Resident memory of the worker, from its last heartbeat answer. */
  workerRssBytes: z.number().nullable(),
  connectedSince: z.string(),
  requestsServed: z.number(),
  inFlight: z.number(),
  restarts: z.number(),
  /** Older servers reported any session not yet ready as `starting`. */
  state: z.enum(SESSION_PHASES),
});
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

export const spareStatusSchema = z.object({ pid: z.number(), state: z.string(), since: z.string() });

/**
 * The worker snapshot for the current worker flags (cold workers start from it): `ready` (`file`),
 * `building`, `missing` (built on the next cold fork), `failed` or `off` (`detail` says why).
 */
export const workerSnapshotStatusSchema = z.object({
  state: z.enum(['off', 'missing', 'building', 'ready', 'failed']),
  detail: z.string().optional(),
  file: z.string().optional(),
});
export type WorkerSnapshotStatus = z.infer<typeof workerSnapshotStatusSchema>;

export const statusDocumentSchema = z.object({
  pid: z.number(),
  version: z.string(),
  startedAt: z.string(),
  uptimeMs: z.number(),
  safetyLevel: z.string(),
  socket: z.string(),
  activated: z.boolean(),
  maxClients: z.number(),
  clients: z.array(sessionStatusSchema),
  spareWorkers: z.array(spareStatusSchema),
  /**
   * `serving`; `refusing`: the configuration is broken (socket activation keeps the server up to
   * say so), every client is answered with `error`; `draining`: shutting down.
   */
  state: z.enum(['serving', 'refusing', 'draining']).default('serving'),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string() }).optional(),
  /** Things an operator should act on (spares that do not boot, a broken configuration). */
  warnings: z.array(z.string()).default([]),
  /** The boot deadline as learned so far: no-progress (`stallMs`) and whole-boot (`totalMs`). */
  bootDeadline: z
    .object({
      stallMs: z.number(),
      totalMs: z.number(),
      supervisorStartupMs: z.number(),
      slowestBootMs: z.number().nullable(),
    })
    .optional(),
  spares: z
    .object({
      failures: z.number(),
      suspended: z.boolean(),
      /** Spares the pool keeps now: SPARE_WORKERS, more for a while after a burst, fewer near MAX_CLIENTS. */
      target: z.number().optional(),
    })
    .optional(),
  workerSnapshot: workerSnapshotStatusSchema.optional(),
  /**
   * Where the answers to a session's opening come from for the configuration in force
   * (supervisor/start-answers.ts): `learnt` from a spare of this run, `stored` by an earlier run,
   * or `none` yet (openings go to the workers).
   */
  startAnswers: z.enum(['learnt', 'stored', 'none']).optional(),
});
export type StatusDocument = z.infer<typeof statusDocumentSchema>;

/** The control socket beside the client socket. */
export const controlPath = (socketPath: string): string => `${socketPath}.ctl`;
