// Over the house's ~300 lines: the session is one state machine; its phase changes read best in one place.
import type { Config } from '../shared/config.js';
import { errorData, errorMessage } from '../shared/errors.js';
import type { JsonRpcMessage, PolicyStateWire } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import type { SessionPhase, SessionStatus } from '../shared/status.js';
import { ClientLink } from './client-link.js';
import { INTERNAL_ERROR, INVALID_REQUEST, errorResponse } from './framing.js';
import { CRASH_WINDOW_MS, RestartPolicy } from './restart-policy.js';
import type { Phase, SessionOptions } from './session-contract.js';
import {
  CRASH_MESSAGE,
  FIRST_MESSAGE_WAIT_MS,
  HANGUP_GRACE_MS,
  MAX_QUEUED,
  WAITING_NOTICE_MS,
} from './session-contract.js';
import type { Pending } from './session-state.js';
import {
  HandshakeCache,
  InFlightTable,
  cancelledRequestId,
  isRequest,
  isResponse,
  keyOf,
} from './session-state.js';
import { SessionDiscover, SessionOpening } from './start-answers.js';
import { startFailure, waitingNotices } from './waiting-notice.js';
import type { WorkerExit, WorkerLike } from './worker.js';
import { describeExit } from './worker.js';

/**
 * One connected client: newline-delimited JSON-RPC framing, a relay to its worker with
 * backpressure both ways (the socket pauses while the IPC channel is congested; the worker holds
 * its output while the socket is), the in-flight request table, and crash recovery: in-flight
 * requests fail with -32603, a new worker is attached and the cached 2025-era handshake
 * (`initialize`, `notifications/initialized`, `logging/setLevel`) is replayed with its answers
 * swallowed. 2026-era requests carry their own `_meta`, so nothing needs replaying for them.
 *
 * A client waiting for its first worker gets a `notifications/message` warning every
 * WAITING_NOTICE_MS (and `notifications/progress` for requests that carry a progress token);
 * if no worker is ready within WORKER_BOOT_TIMEOUT_MAX_MS, every request it sent is answered
 * with an error naming the cause and the session closes.
 */
export class ClientSession {
  readonly id: string;
  readonly connectedAt = Date.now();
  requestsServed = 0;
  restarts = 0;

  private readonly log: Logger;
  private readonly link: ClientLink;
  private phase: Phase = { name: 'starting' };
  private worker: WorkerLike | undefined;
  private startError: string | undefined;
  private readonly inFlight = new InFlightTable();
  private queue: JsonRpcMessage[] = [];
  private readonly handshake = new HandshakeCache();
  private readonly restartPolicy = new RestartPolicy();
  private policyState: PolicyStateWire | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private hangupGraceArmed = false;
  private readonly discover: SessionDiscover | undefined;
  private readonly opening: SessionOpening | undefined;

  constructor(private readonly opts: SessionOptions) {
    this.id = opts.id;
    this.log = opts.log.child({ clientId: opts.id });
    this.discover = opts.startAnswers && new SessionDiscover(opts.startAnswers);
    this.opening = opts.startAnswers && new SessionOpening(opts.startAnswers);
    this.link = new ClientLink(opts.socket, opts.config().MAX_MESSAGE_BYTES, this.log, {
      onMessage: (msg) => this.fromClient(msg),
      onEnd: this.onEnd,
      onClose: () => void this.close('client disconnected'),
      // Backpressure towards the worker: it holds its output while the client does not read.
      onCongestion: (paused) => {
        this.log.debug(
          { paused },
          paused ? 'client not reading; worker output held' : 'client reading again',
        );
        this.worker?.setFlow(paused);
      },
    });
  }

  /** A worker was acquired for this client (at once, or after its first message: `start`). */
  get hasWorker(): boolean {
    return this.workerForked;
  }

  get state(): SessionPhase {
    return this.phase.name;
  }

  /** Read fresh after every await (the phase changes under us). */
  private get closing(): boolean {
    return this.phase.name === 'closing';
  }

  start(): void {
    this.log.info('client connected');
    const boundMs = this.opts.config().WORKER_BOOT_TIMEOUT_MAX_MS;
    const notice = setInterval(() => this.noticeWaiting(boundMs), WAITING_NOTICE_MS);
    notice.unref();
    this.timers.add(notice);
    this.after(boundMs, () => {
      if (this.phase.name !== 'starting') return;
      const cause = this.startError ?? `no worker was ready within ${Math.round(boundMs / 1000)} s`;
      this.giveUpStarting(cause);
    });
    // When the supervisor can answer the opening, the client's first message is answered before
    // its worker is forked (a fork, and the snapshot's check, take tens of ms the answer would wait
    // behind); the fork follows, or comes after FIRST_MESSAGE_WAIT_MS without a message.
    if (this.opening?.canAnswer()) this.after(FIRST_MESSAGE_WAIT_MS, this.forkWorker);
    else this.forkWorker();
  }

  private workerForked = false;
  private readonly forkWorker = (): void => {
    if (this.workerForked || this.closing) return;
    this.workerForked = true;
    void this.startWorker();
  };

  status(): SessionStatus {
    return {
      id: this.id,
      workerPid: this.worker?.pid ?? null,
      workerRssBytes: this.worker?.stats?.rssBytes ?? null,
      connectedSince: new Date(this.connectedAt).toISOString(),
      requestsServed: this.requestsServed,
      inFlight: this.inFlight.size,
      restarts: this.restarts,
      state: this.phase.name,
    };
  }

  /** SIGHUP: the worker applies the reloaded configuration (a replacement gets it with attach). */
  pushConfig(config: Config): void {
    this.worker?.pushConfig(config);
  }

  /**
   * Ends the session: optionally answers every in-flight request and/or writes a final error,
   * half-closes the socket, stops the worker (shutdown → SIGTERM → SIGKILL). Idempotent.
   */
  close(
    reason: string,
    opts: { failInFlight?: string; finalError?: string; data?: object } = {},
  ): Promise<void> {
    if (this.phase.name === 'closing') return this.phase.done;
    // The phase changes first, so nothing the teardown sets off can restart or re-close.
    const done = Promise.resolve()
      .then(() => this.doClose(reason, opts))
      .catch((err: unknown) => this.log.error({ err }, 'session close failed'));
    this.phase = { name: 'closing', done };
    return done;
  }

  private async doClose(
    reason: string,
    opts: { failInFlight?: string; finalError?: string; data?: object },
  ): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (opts.failInFlight) this.failInFlight(opts.failInFlight, () => true, opts.data);
    if (opts.finalError) this.link.write(errorResponse(null, INTERNAL_ERROR, opts.finalError, opts.data));
    this.link.end();
    const worker = this.worker;
    this.worker = undefined;
    try {
      await worker?.stop();
    } finally {
      this.log.info(
        {
          reason,
          durationMs: Date.now() - this.connectedAt,
          requestsServed: this.requestsServed,
          restarts: this.restarts,
        },
        'client disconnected',
      );
      this.opts.onClosed(this);
    }
  }

  private fromClient(msg: JsonRpcMessage): void {
    this.handleClient(msg);
    // After the I/O at hand: clients connecting together all have their first message answered
    // before any of their forks.
    if (!this.workerForked) setImmediate(this.forkWorker);
  }

  private handleClient(msg: JsonRpcMessage): void {
    if (isRequest(msg) && !this.inFlight.add(msg.id, msg.method)) {
      this.link.write(
        errorResponse(msg.id, INVALID_REQUEST, `request id ${JSON.stringify(msg.id)} is already in flight`),
      );
      return;
    }
    // Both see every message: each follows the session's era from them.
    const opened = this.opening?.answer(msg);
    const probed = this.discover?.answer(msg);
    const answer = opened ?? probed;
    if (answer && isRequest(msg)) {
      // Answered from the start answers: never forwarded now (an `initialize` is handed to the
      // worker once it is ready, its answer swallowed), so the session is otherwise unchanged.
      if (msg.method === 'initialize') this.handshake.record(msg);
      if (this.inFlight.settle(msg.id)) this.requestsServed++;
      this.link.write(answer);
      this.finishIfHungUp();
      return;
    }
    this.handshake.record(msg);
    if (this.phase.name === 'ready') this.toWorker(msg);
    else this.hold(msg);
    // A cancelled request gets no answer (MCP): it is no longer in flight (a hang-up need not wait
    // for it, a crash does not fail it). An answer that crossed the cancellation still goes out.
    const cancelled = cancelledRequestId(msg);
    if (cancelled !== undefined) this.inFlight.settle(cancelled);
  }

  private hold(msg: JsonRpcMessage): void {
    this.queue.push(msg);
    if (this.queue.length >= MAX_QUEUED) this.link.pause('no-worker');
  }

  private toWorker(msg: JsonRpcMessage): void {
    const worker = this.worker;
    if (!worker) {
      this.hold(msg);
      return;
    }
    if (isRequest(msg)) this.inFlight.markSent(msg.id);
    let congested = false;
    const ok = worker.sendMcp(msg, () => {
      if (congested) this.link.resume('ipc');
    });
    if (!ok) {
      congested = true;
      this.link.pause('ipc');
    }
  }

  private fromWorker(worker: WorkerLike, msg: JsonRpcMessage): void {
    if (worker !== this.worker) return;
    if (isResponse(msg)) {
      const phase = this.phase;
      if (phase.name === 'replaying' && keyOf(msg.id) === phase.awaiting) {
        this.replayNext(worker, phase);
        return;
      }
      if (this.inFlight.settle(msg.id)) this.requestsServed++;
    }
    this.link.write(msg);
    this.finishIfHungUp();
  }

  private async startWorker(): Promise<void> {
    if (this.closing) return;
    let worker: WorkerLike;
    try {
      worker = this.opts.acquireWorker();
    } catch (err) {
      this.log.error({ err }, 'cannot fork a worker');
      void this.close('fork failed', {
        failInFlight: 'no worker available',
        finalError: 'no worker available',
      });
      return;
    }
    this.worker = worker;
    worker.adopt({
      onMcp: (msg) => this.fromWorker(worker, msg),
      onPolicyState: (state) => {
        if (worker === this.worker) this.policyState = state;
      },
      onRateTake: (bucket) => this.opts.takeServiceToken?.(bucket) ?? { ok: true, limited: false },
      onExit: (exit) => this.workerExited(worker, exit),
    });
    const started = Date.now();
    try {
      await worker.attach({
        clientId: this.id,
        config: this.opts.config(),
        ...(this.policyState ? { policyState: this.policyState } : {}),
      });
    } catch (err) {
      if (worker === this.worker && !this.closing) {
        this.startError = errorMessage(err);
        this.log.error({ workerPid: worker.pid, err }, 'worker did not become ready');
        worker.kill('not ready');
      }
      return;
    }
    if (worker !== this.worker || this.closing) return;
    const restarted = this.phase.name === 'restarting';
    this.log.info(
      { workerPid: worker.pid, readyMs: Date.now() - started },
      restarted ? 'worker restarted' : 'client ready',
    );
    // The first worker is given the `initialize` answered without it; a replacement, the whole handshake.
    const opened = restarted ? undefined : this.opening?.answered();
    const steps = restarted ? this.handshake.replay() : opened ? this.handshake.replayOpening(opened) : [];
    if (steps.length > 0) {
      this.log.info({ workerPid: worker.pid, messages: steps.length }, 'replaying session start');
    }
    this.replayNext(worker, { name: 'replaying', steps, awaiting: undefined, opening: opened !== undefined });
  }

  /** Sends cached handshake messages one request at a time; the session is ready after the last answer. */
  private replayNext(worker: WorkerLike, phase: Extract<Phase, { name: 'replaying' }>): void {
    this.phase = phase;
    for (let step = phase.steps.shift(); step; step = phase.steps.shift()) {
      worker.sendMcp(step);
      if (isRequest(step)) {
        phase.awaiting = keyOf(step.id);
        return;
      }
    }
    this.phase = { name: 'ready' };
    this.opening?.handOver();
    if (this.link.isCongested) worker.setFlow(true);
    const queued = this.queue;
    this.queue = [];
    for (const msg of queued) this.toWorker(msg);
    this.link.resume('no-worker');
    this.armHangupGrace();
    // A client that hung up after an opening answered here has nothing left to wait for.
    this.finishIfHungUp();
  }

  private workerExited(worker: WorkerLike, exit: WorkerExit): void {
    if (worker !== this.worker || this.phase.name === 'closing') return;
    // A first worker that dies while given the opening was never ready: the next one gets it again.
    const phase = this.phase;
    const everReady = phase.name !== 'starting' && !(phase.name === 'replaying' && phase.opening);
    if (!everReady) this.phase = { name: 'starting' };
    this.worker = undefined;
    this.link.resume('ipc');
    const how = describeExit(exit.code, exit.signal);
    this.log.warn(
      {
        workerPid: worker.pid,
        exit: how,
        exitCode: exit.code,
        signal: exit.signal,
        reason: exit.reason,
        uptimeMs: exit.uptimeMs,
      },
      'worker crashed',
    );
    this.failInFlight(
      CRASH_MESSAGE,
      (p) => p.sent,
      errorData('WORKER_CRASHED', { exit: how, reason: exit.reason }),
    );
    const decision = this.restartPolicy.decide(everReady);
    if (decision.action === 'give-up') {
      if (decision.why === 'never-ready') {
        this.giveUpStarting(this.startError ?? how);
        return;
      }
      const finalError = `worker crashed ${decision.crashes} times within ${CRASH_WINDOW_MS / 1000} s; closing this session`;
      void this.close('crash loop', { failInFlight: finalError, finalError });
      return;
    }
    if (everReady) {
      this.phase = { name: 'restarting' };
      this.restarts++;
    }
    this.log.info(
      { delayMs: decision.delayMs, restarts: this.restarts, crashesInWindow: decision.crashes },
      'restarting worker',
    );
    this.after(decision.delayMs, () => void this.startWorker());
    this.finishIfHungUp();
  }

  /** No worker could be started for this client: every request it sent gets the reason. */
  private giveUpStarting(cause: string): void {
    const failure = startFailure(cause, this.opts.explainStartFailure?.());
    void this.close('worker could not start', { failInFlight: failure.finalError, ...failure });
  }

  /** While the client waits for its first worker: a log notification, and progress where it asked. */
  private noticeWaiting(boundMs: number): void {
    if (this.phase.name !== 'starting') return;
    // Requests the client has cancelled meanwhile are not waited for.
    const waiting = this.queue.filter((m) => isRequest(m) && this.inFlight.has(m.id));
    if (waiting.length === 0) return;
    const notices = waitingNotices({
      waitedMs: Date.now() - this.connectedAt,
      boundMs,
      worker: this.worker,
      queue: waiting,
    });
    for (const notice of notices) this.link.write(notice);
  }

  private failInFlight(message: string, which: (p: Pending) => boolean, data?: object): void {
    for (const pending of this.inFlight.take(which)) {
      this.link.write(
        errorResponse(pending.id, INTERNAL_ERROR, message, { method: pending.method, ...data }),
      );
    }
  }

  /** A timer the session owns: cleared when it closes. */
  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private readonly onEnd = (): void => {
    this.finishIfHungUp();
    this.armHangupGrace();
  };

  /**
   * After a half-close, the requests get HANGUP_GRACE_MS to be answered — counted from when they
   * reached a worker: a client that sends its requests and hangs up at once (a pipe into
   * `dbus-mcp connect`) is still answered when its first worker is slow to come.
   */
  private armHangupGrace(): void {
    if (this.hangupGraceArmed || !this.link.hasEnded || this.phase.name !== 'ready') return;
    this.hangupGraceArmed = true;
    this.after(HANGUP_GRACE_MS, () => void this.close('client hung up with requests in flight'));
  }

  /** After the client half-closed: end once every request it sent has been answered. */
  private finishIfHungUp(): void {
    if (this.link.hasEnded && this.inFlight.size === 0 && this.queue.length === 0)
      void this.close('client hung up');
  }
}
