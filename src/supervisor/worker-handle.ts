import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import type { Config } from '../shared/config.js';
import { AppError, errorMessage } from '../shared/errors.js';
import type { Handlers, JsonRpcMessage, ToSupervisor, ToWorker } from '../shared/ipc.js';
import { dispatch, parseIpc, toSupervisorSchema } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';

/** Each stop step (shutdown message, then SIGTERM) gets this long before the next one. */
export const STOP_STEP_MS = 2000;
/** A forked worker must report `booted` within this time. */
export const BOOT_TIMEOUT_MS = 15_000;
/** An attached worker must report `ready` within this time. */
export const READY_TIMEOUT_MS = 15_000;

export type WorkerState = 'booting' | 'idle' | 'attaching' | 'ready' | 'stopping' | 'exited';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the supervisor stopped it on purpose (client gone, shutdown). */
  intentional: boolean;
  /** Why the supervisor killed it, when it did (heartbeat, deadline). */
  reason?: string;
  wasReady: boolean;
  uptimeMs: number;
}

export interface WorkerHandleOptions {
  programPath: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Forked ahead of a client (a spare): it warms up before reporting `booted` (worker/warm-up.ts). */
  spare?: boolean;
}

/** The worker's environment: no socket-activation or notify variables, no config re-read. */
export function workerEnv(env: NodeJS.ProcessEnv, config: Config): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('LISTEN_') || k === 'NOTIFY_SOCKET' || k === 'WATCHDOG_USEC' || k === 'WATCHDOG_PID')
      continue;
    out[k] = v;
  }
  // The supervisor's configuration reaches the worker over IPC; the worker's own start-up must not
  // fail on a config file edited since (a bad file at SIGHUP keeps the running configuration).
  out.DBUS_MCP_CONFIG = '/dev/null';
  out.DBUS_MCP_LOG_LEVEL = config.LOG_LEVEL;
  return out;
}

/**
 * One forked worker. `state` follows booting → idle (booted, a spare) → attaching → ready →
 * stopping → exited. `intentionalStop` is set before any stop the supervisor wants, so only
 * unintended exits count as crashes. Heartbeats run from `booted` on; a worker that leaves one
 * unanswered for `WORKER_HEARTBEAT_MS` is SIGKILLed and reported as a crash.
 */
export class WorkerHandle {
  readonly pid: number;
  readonly startedAt = Date.now();
  state: WorkerState = 'booting';
  intentionalStop = false;
  stats: { rssBytes: number; heapUsedBytes: number } | undefined;

  onMcp?: (msg: JsonRpcMessage) => void;
  onPolicyState?: (state: unknown) => void;
  onExit?: (exit: WorkerExit) => void;

  private readonly child: ChildProcess;
  private readonly log: Logger;
  private readonly exited: Promise<void>;
  private readonly booted: Promise<void>;
  private bootedResolve!: () => void;
  private waiters: Array<{ on: 'ready'; resolve: () => void; reject: (e: Error) => void }> = [];
  private killReason: string | undefined;
  private wasReady = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private pingN = 0;
  private lastPong = Date.now();

  constructor(private readonly options: WorkerHandleOptions) {
    const { config } = options;
    this.child = fork(options.programPath, options.spare ? ['worker', '--spare'] : ['worker'], {
      serialization: 'json',
      // Small-heap flags (bench/README.md, "Memory"): a 1 MiB young-generation semi-space (V8 grows
      // it to 16 MiB by default; a worker's messages are small) and no V8 background threads. With
      // them an idle worker's private memory went from ~74 to ~31 MiB, latency unchanged.
      // A quarter of V8's default interrupt budget (67584): a new client's calls reach optimised
      // code after ~1,000 calls instead of ~4,000 (bench/README.md, "Warm-up of a client's worker").
      execArgv: [
        `--max-old-space-size=${config.WORKER_MAX_MEMORY_MB}`,
        '--max-semi-space-size=1',
        '--single-threaded',
        '--interrupt-budget=16384',
      ],
      env: workerEnv(options.env, config),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.pid = this.child.pid ?? -1;
    this.log = options.log.child({ workerPid: this.pid });
    let bootReject!: (e: Error) => void;
    this.booted = new Promise<void>((resolve, reject) => {
      this.bootedResolve = resolve;
      bootReject = reject;
    });
    this.booted.catch(() => {});
    this.exited = new Promise<void>((resolve) => {
      const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.state === 'exited') return;
        clearInterval(this.heartbeat);
        const before = this.state;
        this.state = 'exited';
        const failure = new AppError(
          'WORKER_START_FAILED',
          `worker ${this.pid} exited (${describe(code, signal)})`,
        );
        bootReject(failure);
        this.settleWaiters(failure);
        this.onExit?.({
          code,
          signal,
          intentional: this.intentionalStop,
          reason: this.killReason,
          wasReady: this.wasReady || before === 'ready',
          uptimeMs: Date.now() - this.startedAt,
        });
        resolve();
      };
      this.child.once('exit', onEnd);
      // A fork that never started emits 'error' and no 'exit'.
      this.child.on('error', (err) => {
        this.log.warn({ err }, 'worker process error');
        if (this.child.pid === undefined && this.state !== 'exited') onEnd(null, null);
      });
    });
    this.child.on('message', this.onMessage);
  }

  private readonly handlers: Handlers<ToSupervisor> = {
    booted: () => {
      if (this.state === 'booting') this.state = 'idle';
      this.startHeartbeat();
      this.bootedResolve();
    },
    ready: () => {
      this.state = 'ready';
      this.wasReady = true;
      this.settleWaiters();
    },
    'start-failed': (msg) => this.settleWaiters(new AppError('WORKER_START_FAILED', msg.message)),
    mcp: (msg) => this.onMcp?.(msg.msg),
    pong: () => {
      this.lastPong = Date.now();
    },
    stats: (msg) => {
      this.stats = { rssBytes: msg.rssBytes, heapUsedBytes: msg.heapUsedBytes };
    },
    'policy-state': (msg) => this.onPolicyState?.(msg.state),
  };

  private readonly onMessage = (raw: unknown): void => {
    try {
      dispatch(this.handlers, parseIpc(toSupervisorSchema, raw));
    } catch (err) {
      this.log.error({ err }, 'invalid message from worker');
    }
  };

  /** Resolves once the worker has loaded the program; rejects (and kills it) past the deadline. */
  async whenBooted(timeoutMs = BOOT_TIMEOUT_MS): Promise<void> {
    await withDeadline(this.booted, timeoutMs, () => {
      this.kill('boot deadline');
      return new AppError('WORKER_START_FAILED', `worker ${this.pid} did not boot within ${timeoutMs} ms`);
    });
  }

  /** Hands the worker its client; resolves on `ready`, rejects on failure or past the deadline. */
  async attach(
    attach: { clientId: string; config: Config; policyState?: unknown },
    timeoutMs = READY_TIMEOUT_MS,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.whenBooted(timeoutMs);
    this.state = 'attaching';
    const ready = new Promise<void>((resolve, reject) => this.waiters.push({ on: 'ready', resolve, reject }));
    this.send({ t: 'attach', ...attach });
    await withDeadline(ready, Math.max(0, deadline - Date.now()), () => {
      this.kill('ready deadline');
      return new AppError('WORKER_START_FAILED', `worker ${this.pid} was not ready within ${timeoutMs} ms`);
    });
  }

  /** Queues one message; false means the channel is congested (`onSent` runs once it drained). */
  send(msg: ToWorker, onSent?: () => void): boolean {
    if (!this.child.connected) return true;
    try {
      return this.child.send(msg, (err) => {
        if (err && this.state !== 'exited') this.log.debug({ err }, 'ipc send failed');
        onSent?.();
      });
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'ipc send failed');
      return true;
    }
  }

  /** Unintended end: SIGKILL now, reported through onExit as a crash with `reason`. */
  kill(reason: string): void {
    if (this.state === 'exited') return;
    this.killReason ??= reason;
    this.child.kill('SIGKILL');
  }

  /** Stops on purpose in steps: shutdown message, SIGTERM, SIGKILL. Resolves once it has exited. */
  async stop(stepMs = STOP_STEP_MS): Promise<void> {
    this.intentionalStop = true;
    if (this.state === 'exited') return;
    this.state = 'stopping';
    clearInterval(this.heartbeat);
    try {
      this.send({ t: 'shutdown' });
      if (await this.exitWithin(stepMs)) return;
      this.log.warn({ stepMs }, 'worker ignored shutdown; SIGTERM');
      this.child.kill('SIGTERM');
      if (await this.exitWithin(stepMs)) return;
      this.log.warn({ stepMs }, 'worker ignored SIGTERM; SIGKILL');
    } finally {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private async exitWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    });
    const done = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  private startHeartbeat(): void {
    const limit = this.options.config.WORKER_HEARTBEAT_MS;
    this.lastPong = Date.now();
    this.heartbeat = setInterval(
      () => {
        if (Date.now() - this.lastPong > limit) {
          this.log.error({ heartbeatMs: limit }, 'worker stopped answering heartbeats; killing it');
          this.kill(`no heartbeat answer within ${limit} ms`);
          return;
        }
        this.send({ t: 'ping', n: ++this.pingN });
      },
      Math.max(25, Math.floor(limit / 4)),
    );
    this.heartbeat.unref();
  }

  private settleWaiters(error?: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}

export function describe(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

async function withDeadline(p: Promise<void>, ms: number, onTimeout: () => Error): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
