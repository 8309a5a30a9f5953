import { EventEmitter } from 'node:events';
import type { Config } from '../../../src/shared/config.js';
import { loadConfig } from '../../../src/shared/config.js';
import type { JsonRpcMessage, StartAnswers } from '../../../src/shared/ipc.js';
import type { Logger } from '../../../src/shared/logger.js';
import { createLogger } from '../../../src/shared/logger.js';
import type {
  AttachRequest,
  WorkerExit,
  WorkerLike,
  WorkerOwner,
  WorkerProcess,
  WorkerState,
} from '../../../src/supervisor/worker.js';

/**
 * Test doubles for the supervisor's unit tests: a child process that records what it was sent and
 * exits as told, a WorkerLike the tests drive by hand, a logger that keeps its lines, and the
 * default configuration.
 */

export function defaultConfig(overrides: Record<string, string> = {}): Config {
  const env: NodeJS.ProcessEnv = { HOME: '/nonexistent', DBUS_MCP_CONFIG: '/dev/null' };
  for (const [k, v] of Object.entries(overrides)) env[`DBUS_MCP_${k}`] = v;
  return loadConfig({ env }).config;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export function collectingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger({
    level: 'trace',
    name: 'test',
    env: {},
    write: (line) => lines.push(JSON.parse(line) as LogLine),
  });
  return { log, lines };
}

/** A forked child as the handle sees it: it exits when killed, and on shutdown unless told not to. */
export class FakeProcess extends EventEmitter implements WorkerProcess {
  static nextPid = 50_000;
  readonly pid: number | undefined = FakeProcess.nextPid++;
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly sent: Array<Record<string, unknown>> = [];
  readonly signals: NodeJS.Signals[] = [];
  ignoreShutdown = false;
  ignoreSigterm = false;

  send(message: unknown, callback: (error: Error | null) => void): boolean {
    const msg = message as Record<string, unknown>;
    this.sent.push(msg);
    process.nextTick(() => callback(null));
    if (msg.t === 'shutdown' && !this.ignoreShutdown) this.exit(0, null);
    return true;
  }

  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || (signal === 'SIGTERM' && !this.ignoreSigterm)) this.exit(null, signal);
    return true;
  }

  /** A message from the worker. */
  tell(message: Record<string, unknown>): void {
    this.emit('message', message);
  }

  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.connected = false;
    process.nextTick(() => this.emit('exit', code, signal));
  }

  sentOf(t: string): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.t === t);
  }
}

/** A worker the test moves through its life by hand. */
export class FakeWorker implements WorkerLike {
  static nextPid = 60_000;
  readonly pid = FakeWorker.nextPid++;
  readonly startedAt = Date.now();
  state: WorkerState = 'booting';
  stats = undefined;
  bootStage = 'forked';
  owner: WorkerOwner = {};
  readonly mcp: JsonRpcMessage[] = [];
  readonly flow: boolean[] = [];
  readonly configs: Config[] = [];
  attached: AttachRequest | undefined;
  stopped = false;
  killedFor: string | undefined;
  private bootedP: Promise<void>;
  private bootedResolve!: () => void;
  private bootedReject!: (e: Error) => void;
  private readyResolve: (() => void) | undefined;
  private readyReject: ((e: Error) => void) | undefined;

  constructor() {
    this.bootedP = new Promise((resolve, reject) => {
      this.bootedResolve = resolve;
      this.bootedReject = reject;
    });
    this.bootedP.catch(() => {});
  }

  started = false;
  /** Set `state = 'created'` first for a worker that waits to be started. */
  start(): void {
    this.started = true;
    if (this.state === 'created') this.state = 'booting';
  }
  adopt(owner: WorkerOwner): void {
    this.owner = owner;
  }
  whenBooted(): Promise<void> {
    return this.bootedP;
  }
  async attach(request: AttachRequest): Promise<void> {
    await this.bootedP;
    this.attached = request;
    this.state = 'attaching';
    await new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
  }
  sendMcp(msg: JsonRpcMessage, onSent?: () => void): boolean {
    this.mcp.push(msg);
    if (onSent) process.nextTick(onSent);
    return true;
  }
  setFlow(paused: boolean): void {
    this.flow.push(paused);
  }
  pushConfig(config: Config): void {
    this.configs.push(config);
  }
  /** Set it to answer `start-answers` (the fake refuses by default: nothing to cache). */
  startAnswersResult: StartAnswers | undefined;
  startAnswers(_config: Config): Promise<StartAnswers> {
    return this.startAnswersResult
      ? Promise.resolve(this.startAnswersResult)
      : Promise.reject(new Error('fake'));
  }
  kill(reason: string): void {
    this.killedFor ??= reason;
    this.exit({ signal: 'SIGKILL', reason });
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.exit({ code: 0, intentional: true });
  }

  // ── driving it ──
  boot(): void {
    this.state = 'idle';
    this.bootStage = 'booted';
    this.bootedResolve();
  }
  failBoot(error: Error): void {
    this.bootedReject(error);
  }
  ready(): void {
    this.state = 'ready';
    this.readyResolve?.();
  }
  failReady(error: Error): void {
    this.readyReject?.(error);
  }
  /** The worker answers (or notifies) the client. */
  reply(msg: JsonRpcMessage): void {
    this.owner.onMcp?.(msg);
  }
  exit(e: {
    code?: number | null;
    signal?: NodeJS.Signals | null;
    reason?: string;
    intentional?: boolean;
  }): void {
    if (this.state === 'exited') return;
    const wasReady = this.state === 'ready';
    const wasBooted = this.bootStage === 'booted';
    this.state = 'exited';
    this.bootedReject(new Error(`worker ${this.pid} exited`));
    this.readyReject?.(new Error(`worker ${this.pid} exited`));
    const exit: WorkerExit = {
      code: e.code ?? null,
      signal: e.signal ?? null,
      intentional: e.intentional ?? false,
      ...(e.reason ? { reason: e.reason } : {}),
      wasReady,
      wasBooted,
      uptimeMs: 0,
    };
    this.owner.onExit?.(exit);
  }
}

/** Lets pending promise callbacks and nextTicks run (mock timers do not touch nextTick). */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => process.nextTick(resolve));
}
