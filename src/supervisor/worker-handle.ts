// Over 300 lines: one class, the life of one worker process (fork, boot stages, IPC, stop in steps), by its transition table.
import type { ForkOptions } from 'node:child_process';
import type { Config } from '../shared/config.js';
import { configToText } from '../shared/config.js';
import { AppError } from '../shared/errors.js';
import type { BucketDecision } from '../shared/rate-buckets.js';
import type { Handlers, JsonRpcMessage, StartAnswers, ToSupervisor, ToWorkerWire } from '../shared/ipc.js';
import { dispatch, parseIpc, toSupervisorSchema } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import { deferred, withDeadline } from './timing.js';
import { forkWorkerProcess } from './worker-process.js';
import type {
  AttachRequest,
  BootBudget,
  BootDeadlineMissed,
  WorkerExit,
  WorkerExitedEarly,
  WorkerLike,
  WorkerOwner,
  WorkerProcess,
  WorkerState,
  WorkerStats,
} from './worker.js';
import { describeExit } from './worker.js';

export { workerEnv, workerExecArgv } from './worker-process.js';

/** Each stop step (shutdown message, then SIGTERM) gets this long before the next one. */
export const STOP_STEP_MS = 2000;

/**
 * The states each state may be entered from. Anything else is refused (a late `ready` cannot move
 * a stopping worker back; an attach cannot happen twice).
 */
const ALLOWED_FROM: Record<WorkerState, readonly WorkerState[]> = {
  created: [],
  booting: ['created'],
  idle: ['booting'],
  attaching: ['idle'],
  ready: ['attaching'],
  stopping: ['created', 'booting', 'idle', 'attaching', 'ready'],
  exited: ['created', 'booting', 'idle', 'attaching', 'ready', 'stopping'],
};

export interface WorkerHandleOptions {
  programPath: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  log: Logger;
  boot: BootBudget;
  /** Forked ahead of a client (a spare): it warms up before reporting `booted` (worker/warm-up.ts). */
  spare?: boolean;
  /** Start from this worker snapshot (worker-snapshot.ts) instead of loading the program. */
  snapshotBlob?: string;
  /** Starts the process; default `child_process.fork`. */
  spawn?: (programPath: string, args: string[], options: ForkOptions) => WorkerProcess;
}

/**
 * One forked worker, an explicit state machine (one class on purpose, a little over the house's
 * ~300 lines: its handlers, timers and stop steps are one state machine and read best together): created → booting (`start()` forks) → idle
 * (booted; a spare waits here) → attaching → ready → stopping → exited, each transition checked
 * against ALLOWED_FROM. `intentionalStop` is set before any stop the supervisor wants, so only
 * unintended exits count as crashes. Heartbeats run from `booted` on; a worker that leaves one
 * unanswered for `WORKER_HEARTBEAT_MS` is SIGKILLed and reported as a crash. Owner callbacks run
 * guarded: a throwing owner is logged, and the handle's own teardown (exit, `stop()`) always
 * completes.
 */
export class WorkerHandle implements WorkerLike {
  intentionalStop = false;
  stats: WorkerStats | undefined;

  #startedAt = Date.now();
  #state: WorkerState = 'created';
  #child: WorkerProcess | undefined;
  #pid = -1;
  #owner: WorkerOwner = {};
  #log: Logger;
  #bootStage = 'forked';
  #killReason: string | undefined;
  #wasReady = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  #totalTimer: NodeJS.Timeout | undefined;
  #lastProgressAt = 0;
  #pingN = 0;
  #lastPong = 0;
  #waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  #booted: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };
  #bootFailure: AppError | undefined;
  #exited: { promise: Promise<void>; resolve: () => void };
  #questionN = 0;
  #questions = new Map<number, { resolve: (r: StartAnswers) => void; reject: (e: Error) => void }>();

  constructor(private readonly options: WorkerHandleOptions) {
    this.#log = options.log;
    this.#booted = deferred();
    this.#booted.promise.catch(() => {});
    this.#exited = deferred();
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  get pid(): number {
    return this.#pid;
  }

  get state(): WorkerState {
    return this.#state;
  }

  get bootStage(): string {
    return this.#bootStage;
  }

  /** Forks the process and arms the boot deadline. Once only. */
  start(): void {
    if (!this.#transition('booting')) throw new Error(`worker already started (${this.#state})`);
    this.#startedAt = Date.now();
    const child = forkWorkerProcess(this.options);
    this.#child = child;
    this.#pid = child.pid ?? -1;
    this.#log = this.options.log.child({ workerPid: this.#pid });
    child.once('exit', this.#onEnd);
    // A fork that never started emits 'error' and no 'exit'.
    child.on('error', (err) => {
      this.#log.warn({ err }, 'worker process error');
      if (child.pid === undefined) this.#onEnd(null, null);
    });
    child.on('message', this.#onMessage);
    this.#armBootTimers();
  }

  adopt(owner: WorkerOwner): void {
    this.#owner = owner;
  }

  async whenBooted(): Promise<void> {
    await this.#booted.promise;
  }

  async attach(request: AttachRequest): Promise<void> {
    await this.whenBooted();
    if (!this.#transition('attaching')) {
      throw new AppError('WORKER_START_FAILED', `worker ${this.#pid} cannot be attached (${this.#state})`);
    }
    const ready = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#send({
      t: 'attach',
      clientId: request.clientId,
      config: configToText(request.config),
      ...(request.policyState ? { policyState: request.policyState } : {}),
    });
    const { stallMs } = this.options.boot;
    await withDeadline(ready, stallMs, () => {
      this.kill('ready deadline');
      return new AppError('WORKER_START_FAILED', `worker ${this.#pid} was not ready within ${stallMs} ms`);
    });
  }

  sendMcp(msg: JsonRpcMessage, onSent?: () => void): boolean {
    return this.#send({ t: 'mcp', msg }, onSent);
  }

  setFlow(paused: boolean): void {
    this.#send({ t: 'flow', paused });
  }

  pushConfig(config: Config): void {
    if (this.#state === 'attaching' || this.#state === 'ready') {
      this.#send({ t: 'config', config: configToText(config) });
    }
  }

  startAnswers(config: Config): Promise<StartAnswers> {
    if (this.#state !== 'idle' && this.#state !== 'attaching' && this.#state !== 'ready') {
      return Promise.reject(new Error(`worker ${this.#pid} cannot give start answers (${this.#state})`));
    }
    const id = ++this.#questionN;
    const answer = new Promise<StartAnswers>((resolve, reject) =>
      this.#questions.set(id, { resolve, reject }),
    );
    this.#send({ t: 'start-answers', id, config: configToText(config) });
    return answer;
  }

  kill(reason: string): void {
    if (this.#state === 'exited' || this.#state === 'created' || this.#killReason !== undefined) return;
    this.#killReason = reason;
    this.#clearTimers();
    this.#child?.kill('SIGKILL');
  }

  async stop(stepMs = STOP_STEP_MS): Promise<void> {
    this.intentionalStop = true;
    if (this.#state === 'exited') return;
    if (this.#state === 'created') {
      this.#onEnd(null, null);
      return;
    }
    this.#transition('stopping');
    this.#clearTimers();
    const child = this.#child as WorkerProcess;
    try {
      this.#send({ t: 'shutdown' });
      if (await this.#exitWithin(stepMs)) return;
      this.#log.warn({ stepMs }, 'worker ignored shutdown; SIGTERM');
      child.kill('SIGTERM');
      if (await this.#exitWithin(stepMs)) return;
      this.#log.warn({ stepMs }, 'worker ignored SIGTERM; SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await this.#exited.promise;
    }
  }

  #transition(to: WorkerState): boolean {
    if (!ALLOWED_FROM[to].includes(this.#state)) {
      this.#log.debug({ from: this.#state, to }, 'worker state change refused');
      return false;
    }
    this.#state = to;
    return true;
  }

  /** Runs an owner callback; a throw is the owner's bug, logged, never the handle's teardown. */
  #notify(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err, callback: what }, 'worker owner callback failed');
    }
  }

  readonly #onEnd = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (this.#state === 'exited') return;
    const before = this.#state;
    this.#state = 'exited';
    try {
      this.#clearTimers();
      const failure =
        this.#bootFailure ??
        new AppError('WORKER_START_FAILED', `worker ${this.#pid} exited (${describeExit(code, signal)})`, {
          details: { cause: 'exited', code, signal, stage: this.#bootStage } satisfies WorkerExitedEarly,
        });
      this.#booted.reject(failure);
      this.#settleWaiters(failure);
      for (const waiter of this.#questions.values()) waiter.reject(failure);
      this.#questions.clear();
      const exit: WorkerExit = {
        code,
        signal,
        intentional: this.intentionalStop,
        ...(this.#killReason ? { reason: this.#killReason } : {}),
        wasReady: this.#wasReady || before === 'ready',
        wasBooted: this.#bootStage === 'booted',
        uptimeMs: Date.now() - this.startedAt,
      };
      const owner = this.#owner;
      this.#notify('onExit', () => owner.onExit?.(exit));
    } finally {
      this.#exited.resolve();
    }
  };

  readonly #handlers: Handlers<ToSupervisor> = {
    'boot-progress': (msg) => {
      if (this.#state !== 'booting') return;
      this.#bootStage = msg.stage;
      this.#lastProgressAt = Date.now();
      const elapsed = Date.now() - this.startedAt;
      const owner = this.#owner;
      this.#notify('onBootProgress', () => owner.onBootProgress?.(msg.stage, elapsed));
    },
    booted: () => {
      if (!this.#transition('idle')) return;
      this.#bootStage = 'booted';
      clearTimeout(this.#stallTimer);
      clearTimeout(this.#totalTimer);
      this.#startHeartbeat();
      this.#booted.resolve();
    },
    ready: () => {
      if (!this.#transition('ready')) return;
      this.#wasReady = true;
      this.#settleWaiters();
    },
    'start-failed': (msg) => this.#settleWaiters(new AppError(msg.code, msg.message)),
    mcp: (msg) => {
      const owner = this.#owner;
      this.#notify('onMcp', () => owner.onMcp?.(msg.msg));
    },
    pong: () => {
      this.#lastPong = Date.now();
    },
    stats: (msg) => {
      this.stats = { rssBytes: msg.rssBytes, heapUsedBytes: msg.heapUsedBytes };
    },
    'policy-state': (msg) => {
      const owner = this.#owner;
      this.#notify('onPolicyState', () => owner.onPolicyState?.(msg.state));
    },
    'start-answers-reply': (msg) => {
      const waiter = this.#questions.get(msg.id);
      this.#questions.delete(msg.id);
      if (msg.answers) waiter?.resolve(msg.answers);
      else waiter?.reject(new Error(msg.error ?? 'no answer'));
    },
    'rate-take': (msg) => {
      const owner = this.#owner;
      let d: BucketDecision = { ok: false, limit: 0, retryAfterMs: 1000 };
      this.#notify('onRateTake', () => {
        if (owner.onRateTake) d = owner.onRateTake(msg.bucket);
      });
      this.#send(
        d.ok
          ? { t: 'rate-answer', id: msg.id, ok: true }
          : { t: 'rate-answer', id: msg.id, ok: false, limit: d.limit, retryAfterMs: d.retryAfterMs },
      );
    },
  };

  readonly #onMessage = (raw: unknown): void => {
    let msg: ToSupervisor;
    try {
      msg = parseIpc(toSupervisorSchema, raw);
    } catch (err) {
      this.#log.error({ err }, 'invalid message from worker');
      return;
    }
    dispatch(this.#handlers, msg);
  };

  #send(msg: ToWorkerWire, onSent?: () => void): boolean {
    const child = this.#child;
    if (!child?.connected) return true;
    try {
      return child.send(msg, (err) => {
        if (err && this.#state !== 'exited') this.#log.debug({ err }, 'ipc send failed');
        onSent?.();
      });
    } catch (err) {
      this.#log.warn({ err }, 'ipc send failed');
      return true;
    }
  }

  #armBootTimers(): void {
    const { totalMs } = this.options.boot;
    this.#lastProgressAt = Date.now();
    this.#armStallTimer();
    this.#totalTimer = setTimeout(
      () => this.#bootTimedOut(`did not boot within ${totalMs} ms (still at "${this.#bootStage}")`, 'total'),
      totalMs,
    );
    this.#totalTimer.unref();
  }

  /** One timer for the whole boot: progress moves its mark, the timer re-arms for what is left. */
  #armStallTimer(): void {
    const { stallMs } = this.options.boot;
    const left = this.#lastProgressAt + stallMs - Date.now();
    if (left > 0) {
      this.#stallTimer = setTimeout(() => this.#armStallTimer(), left);
      this.#stallTimer.unref();
      return;
    }
    this.#bootTimedOut(
      `did not boot: no progress for ${stallMs} ms after "${this.#bootStage}"`,
      'no-progress',
    );
  }

  #bootTimedOut(what: string, deadline: BootDeadlineMissed['deadline']): void {
    if (this.#state !== 'booting') return;
    const details: BootDeadlineMissed = { cause: 'boot-deadline', deadline, stage: this.#bootStage };
    this.#bootFailure = new AppError('WORKER_START_FAILED', `worker ${this.#pid} ${what}`, { details });
    this.#booted.reject(this.#bootFailure);
    this.kill(`boot deadline (${deadline})`);
  }

  #startHeartbeat(): void {
    const limit = this.options.config.WORKER_HEARTBEAT_MS;
    this.#lastPong = Date.now();
    this.#heartbeat = setInterval(
      () => {
        if (Date.now() - this.#lastPong > limit) {
          this.#log.error({ heartbeatMs: limit }, 'worker stopped answering heartbeats; killing it');
          this.kill(`no heartbeat answer within ${limit} ms`);
          return;
        }
        this.#send({ t: 'ping', n: ++this.#pingN });
      },
      Math.max(25, Math.floor(limit / 4)),
    );
    this.#heartbeat.unref();
  }

  #clearTimers(): void {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#stallTimer);
    clearTimeout(this.#totalTimer);
  }

  async #exitWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    });
    const done = await Promise.race([this.#exited.promise.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  #settleWaiters(error?: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}
