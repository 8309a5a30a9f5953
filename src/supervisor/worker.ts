/**
 * A worker as the supervisor sees it: the states it goes through, what its owner hears, and the
 * interface the spare pool and a session use (WorkerHandle is the real one, tests use fakes).
 */
import type { Config } from '../shared/config.js';
import type { JsonRpcMessage, PolicyStateWire, StartAnswers } from '../shared/ipc.js';
import type { BucketDecision, RateBucketName } from '../shared/rate-buckets.js';

export type WorkerState = 'created' | 'booting' | 'idle' | 'attaching' | 'ready' | 'stopping' | 'exited';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the supervisor stopped it on purpose (client gone, shutdown). */
  intentional: boolean;
  /** Why the supervisor killed it, when it did (heartbeat, deadline). */
  reason?: string;
  wasReady: boolean;
  /** It had reported `booted` (a spare that dies later is not a boot failure). */
  wasBooted: boolean;
  uptimeMs: number;
}

/** Whoever the worker serves now: the spare pool, then a client session (`adopt`). */
export interface WorkerOwner {
  onMcp?: (msg: JsonRpcMessage) => void;
  onPolicyState?: (state: PolicyStateWire) => void;
  /** The worker asks for a service-wide rate token (answered at once; no owner: refused). */
  onRateTake?: (bucket: RateBucketName) => BucketDecision;
  onExit?: (exit: WorkerExit) => void;
  /** A boot stage reached, with how long the worker has been booting. */
  onBootProgress?: (stage: string, elapsedMs: number) => void;
}

export interface WorkerStats {
  rssBytes: number;
  heapUsedBytes: number;
}

export interface AttachRequest {
  clientId: string;
  config: Config;
  policyState?: PolicyStateWire;
}

/** What the pool and a session need of a worker; WorkerHandle is the real one, tests use fakes. */
export interface WorkerLike {
  /** -1 until the process is forked. */
  readonly pid: number;
  /** When the process was forked (when it was created, until then). */
  readonly startedAt: number;
  readonly state: WorkerState;
  readonly stats: WorkerStats | undefined;
  /** The stage of its boot it last reported (`booted` once done). */
  readonly bootStage: string;
  /** Forks the process of a worker created unstarted (state `created`); once only. */
  start(): void;
  /** Hands the worker's events to a new owner; the previous owner hears nothing more. */
  adopt(owner: WorkerOwner): void;
  /** Resolves once the worker has booted; rejects (WORKER_START_FAILED) when it will not. */
  whenBooted(): Promise<void>;
  /** Hands the worker its client; resolves on `ready`, rejects on failure or past the deadline. */
  attach(request: AttachRequest): Promise<void>;
  /** Queues one MCP message; false means the channel is congested (`onSent` runs once it drained). */
  sendMcp(msg: JsonRpcMessage, onSent?: () => void): boolean;
  /** Backpressure from the client: while paused the worker holds its output. */
  setFlow(paused: boolean): void;
  /** SIGHUP: applies a reloaded configuration, once attached. */
  pushConfig(config: Config): void;
  /**
   * What the worker's MCP server answers a session's stateless opening under `config`
   * (supervisor/start-answers.ts); once booted. Rejects when it cannot tell or exits first.
   */
  startAnswers(config: Config): Promise<StartAnswers>;
  /** Unintended end: SIGKILL now, reported to the owner as a crash with `reason`. */
  kill(reason: string): void;
  /** Stops on purpose in steps: shutdown message, SIGTERM, SIGKILL. Resolves once it has exited. */
  stop(stepMs?: number): Promise<void>;
}

/**
 * How long a booting worker may take. A worker that reports no progress (no boot stage, no
 * `booted`) for `stallMs` is treated as hung and killed; one that keeps reporting is given up to
 * `totalMs` from its fork. An attached worker must be ready within `stallMs`.
 */
export interface BootBudget {
  stallMs: number;
  totalMs: number;
}

/** `details` of the WORKER_START_FAILED a missed boot deadline rejects `whenBooted()` with. */
export interface BootDeadlineMissed {
  cause: 'boot-deadline';
  /** `no-progress`: silent for `stallMs`; `total`: still booting after `totalMs`. */
  deadline: 'no-progress' | 'total';
  stage: string;
  [key: string]: unknown;
}

/** `details` of the WORKER_START_FAILED `whenBooted()` rejects with when the worker exited first. */
export interface WorkerExitedEarly {
  cause: 'exited';
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The boot stage it had reported (`forked`: none). */
  stage: string;
  [key: string]: unknown;
}

/** Node's exit code for a startup snapshot it cannot load (ExitCode::kStartupSnapshotFailure). */
export const EXIT_SNAPSHOT_UNUSABLE = 14;

/** The part of a child process the handle uses (`child_process.fork` gives one; tests pass fakes). */
export interface WorkerProcess {
  readonly pid: number | undefined;
  readonly connected: boolean;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  send(message: unknown, callback: (error: Error | null) => void): boolean;
  kill(signal: NodeJS.Signals): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

/** `exit code 70` or `signal SIGKILL`. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}
