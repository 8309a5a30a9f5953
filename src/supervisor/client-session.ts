import type { Socket } from 'node:net';
import type { Config } from '../shared/config.js';
import { errorMessage } from '../shared/errors.js';
import type { JsonRpcMessage } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import { ClientLink } from './client-link.js';
import { INTERNAL_ERROR, INVALID_REQUEST, errorResponse } from './framing.js';
import type { Pending, SessionStatus } from './session-state.js';
import {
  CRASH_WINDOW_MS,
  CrashCounter,
  HandshakeCache,
  InFlightTable,
  isRequest,
  isResponse,
  keyOf,
} from './session-state.js';
import type { WorkerExit, WorkerHandle } from './worker-handle.js';
import { describe } from './worker-handle.js';

export const CRASH_MESSAGE = 'worker crashed; the session continues';
/**
 * After the client ends its side, requests in flight get this long to be answered before the
 * session closes. (A socket peer that is gone entirely looks the same as a half-close until we
 * write to it, so the wait is bounded; the SDK's own stdio server answers nothing after EOF.)
 */
export const HANGUP_GRACE_MS = 3000;

export interface SessionOptions {
  id: string;
  socket: Socket;
  config: () => Config;
  log: Logger;
  /** A worker for this client: a spare when one is there, else a fresh fork. */
  acquireWorker: () => WorkerHandle;
  onClosed: (session: ClientSession) => void;
}

/**
 * One connected client: newline-delimited JSON-RPC framing, a relay to its worker with
 * backpressure both ways (the socket pauses while the IPC channel is congested; the worker holds
 * its output while the socket is), the in-flight request table, and crash recovery: in-flight
 * requests fail with -32603, a new worker is attached and the cached 2025-era handshake
 * (`initialize`, `notifications/initialized`, `logging/setLevel`) is replayed with its answers
 * swallowed. 2026-era requests carry their own `_meta`, so nothing needs replaying for them.
 */
export class ClientSession {
  readonly id: string;
  readonly connectedAt = Date.now();
  requestsServed = 0;
  restarts = 0;

  private readonly log: Logger;
  private readonly link: ClientLink;
  private worker: WorkerHandle | undefined;
  private workerReady = false;
  private everReady = false;
  private startError: string | undefined;
  private readonly inFlight = new InFlightTable();
  private queue: JsonRpcMessage[] = [];
  private readonly handshake = new HandshakeCache();
  private readonly crashes = new CrashCounter();
  private replaySteps: JsonRpcMessage[] = [];
  private awaitingReplay: string | undefined;
  private policyState: unknown;
  private clientEnded = false;
  private closing: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SessionOptions) {
    this.id = opts.id;
    this.log = opts.log.child({ clientId: opts.id });
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
        this.worker?.send({ t: 'flow', paused });
      },
    });
  }

  start(): void {
    this.log.info('client connected');
    this.link.pause('no-worker');
    void this.startWorker('connect');
  }

  status(): SessionStatus {
    return {
      id: this.id,
      workerPid: this.worker?.pid ?? null,
      workerRssBytes: this.worker?.stats?.rssBytes ?? null,
      connectedSince: new Date(this.connectedAt).toISOString(),
      requestsServed: this.requestsServed,
      inFlight: this.inFlight.size,
      restarts: this.restarts,
      state: this.closing ? 'closing' : this.workerReady ? 'ready' : 'starting',
    };
  }

  /** SIGHUP: the worker applies the reloaded configuration (a replacement gets it with attach). */
  pushConfig(config: Config): void {
    const state = this.worker?.state;
    if (state === 'attaching' || state === 'ready') this.worker?.send({ t: 'config', config });
  }

  /**
   * Ends the session: optionally answers every in-flight request and/or writes a final error,
   * half-closes the socket, stops the worker (shutdown → SIGTERM → SIGKILL). Idempotent.
   */
  close(reason: string, opts: { failInFlight?: string; finalError?: string } = {}): Promise<void> {
    this.closing ??= this.doClose(reason, opts);
    return this.closing;
  }

  private async doClose(reason: string, opts: { failInFlight?: string; finalError?: string }): Promise<void> {
    clearTimeout(this.restartTimer);
    if (opts.failInFlight) this.failInFlight(opts.failInFlight, () => true);
    if (opts.finalError) this.link.write(errorResponse(null, INTERNAL_ERROR, opts.finalError));
    this.link.end();
    const worker = this.worker;
    this.worker = undefined;
    this.workerReady = false;
    await worker?.stop();
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

  private fromClient(msg: JsonRpcMessage): void {
    if (isRequest(msg) && !this.inFlight.add(msg.id, msg.method)) {
      this.link.write(
        errorResponse(msg.id, INVALID_REQUEST, `request id ${JSON.stringify(msg.id)} is already in flight`),
      );
      return;
    }
    this.handshake.record(msg);
    if (this.workerReady) this.toWorker(msg);
    else this.queue.push(msg);
  }

  private toWorker(msg: JsonRpcMessage): void {
    const worker = this.worker;
    if (!worker) {
      this.queue.push(msg);
      return;
    }
    if (isRequest(msg)) this.inFlight.markSent(msg.id);
    let congested = false;
    const ok = worker.send({ t: 'mcp', msg }, () => {
      if (congested) this.link.resume('ipc');
    });
    if (!ok) {
      congested = true;
      this.link.pause('ipc');
    }
  }

  private fromWorker(worker: WorkerHandle, msg: JsonRpcMessage): void {
    if (worker !== this.worker) return;
    if (isResponse(msg)) {
      const key = keyOf(msg.id);
      if (key === this.awaitingReplay) {
        this.awaitingReplay = undefined;
        this.replayNext(worker);
        return;
      }
      if (this.inFlight.settle(msg.id)) this.requestsServed++;
    }
    this.link.write(msg);
    this.finishIfHungUp();
  }

  private async startWorker(why: 'connect' | 'restart'): Promise<void> {
    if (this.closing) return;
    let worker: WorkerHandle;
    try {
      worker = this.opts.acquireWorker();
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'cannot fork a worker');
      void this.close('fork failed', {
        failInFlight: 'no worker available',
        finalError: 'no worker available',
      });
      return;
    }
    this.worker = worker;
    this.workerReady = false;
    worker.onMcp = (msg) => this.fromWorker(worker, msg);
    worker.onPolicyState = (state) => {
      if (worker === this.worker) this.policyState = state;
    };
    worker.onExit = (exit) => this.workerExited(worker, exit);
    const started = Date.now();
    try {
      await worker.attach({ clientId: this.id, config: this.opts.config(), policyState: this.policyState });
    } catch (err) {
      if (worker === this.worker && !this.closing) {
        this.startError = errorMessage(err);
        this.log.error({ workerPid: worker.pid, err: this.startError }, 'worker did not become ready');
        worker.kill('not ready');
      }
      return;
    }
    if (worker !== this.worker || this.closing) return;
    const fields = { workerPid: worker.pid, readyMs: Date.now() - started };
    this.log.info(fields, why === 'connect' ? 'client ready' : 'worker restarted');
    if (why === 'restart') {
      this.replaySteps = this.handshake.replay();
      if (this.replaySteps.length > 0) {
        this.log.info(
          { workerPid: worker.pid, messages: this.replaySteps.length },
          'replaying session start',
        );
      }
    }
    this.replayNext(worker);
  }

  /** Sends cached handshake messages one request at a time; the session is ready after the last answer. */
  private replayNext(worker: WorkerHandle): void {
    for (let step = this.replaySteps.shift(); step; step = this.replaySteps.shift()) {
      worker.send({ t: 'mcp', msg: step });
      if (isRequest(step)) {
        this.awaitingReplay = keyOf(step.id);
        return;
      }
    }
    this.workerReady = true;
    this.everReady = true;
    if (this.link.isCongested) worker.send({ t: 'flow', paused: true });
    const queued = this.queue;
    this.queue = [];
    for (const msg of queued) this.toWorker(msg);
    this.link.resume('no-worker');
  }

  private workerExited(worker: WorkerHandle, exit: WorkerExit): void {
    if (worker !== this.worker || this.closing) return;
    this.worker = undefined;
    this.workerReady = false;
    this.replaySteps = [];
    this.awaitingReplay = undefined;
    this.link.resume('ipc');
    this.link.pause('no-worker');
    const how = describe(exit.code, exit.signal);
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
    this.failInFlight(CRASH_MESSAGE, (p) => p.sent, {
      code: 'WORKER_CRASHED',
      exit: how,
      reason: exit.reason,
    });
    const { crashes, delayMs, giveUp } = this.crashes.record();
    // A client whose workers never got ready gets one more try (the spare it was handed may have
    // been broken), not a restart loop.
    if (!this.everReady && crashes > 1) {
      void this.close('worker could not start', {
        finalError: `worker could not start (${this.startError ?? how}); closing this session`,
      });
      return;
    }
    if (giveUp) {
      const finalError = `worker crashed ${crashes} times within ${CRASH_WINDOW_MS / 1000} s; closing this session`;
      void this.close('crash loop', { failInFlight: finalError, finalError });
      return;
    }
    this.restarts++;
    this.log.info({ delayMs, restarts: this.restarts, crashesInWindow: crashes }, 'restarting worker');
    this.restartTimer = setTimeout(() => void this.startWorker('restart'), delayMs);
    this.finishIfHungUp();
  }

  private failInFlight(
    message: string,
    which: (p: Pending) => boolean,
    data?: Record<string, unknown>,
  ): void {
    for (const pending of this.inFlight.take(which)) {
      this.link.write(
        errorResponse(pending.id, INTERNAL_ERROR, message, { method: pending.method, ...data }),
      );
    }
  }

  private readonly onEnd = (): void => {
    this.clientEnded = true;
    this.finishIfHungUp();
    if (!this.closing) {
      setTimeout(() => void this.close('client hung up with requests in flight'), HANGUP_GRACE_MS).unref();
    }
  };

  /** After the client half-closed: end once every request it sent has been answered. */
  private finishIfHungUp(): void {
    if (this.clientEnded && this.inFlight.size === 0 && this.queue.length === 0)
      void this.close('client hung up');
  }
}
