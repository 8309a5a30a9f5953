import type { EventEmitter } from 'node:events';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import type { JsonRpcMessage, ToSupervisor } from '../shared/ipc.js';
import { parseIpc, toWorkerSchema } from '../shared/ipc.js';

/** The worker's end of the IPC channel: `process` in a forked worker (see `processEndpoint`). */
export interface IpcEndpoint {
  on(event: 'message', listener: (raw: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (raw: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
  /** Queues one message; the callback runs once it was handed to the channel (or failed). */
  send(message: ToSupervisor, callback: (error: Error | null) => void): boolean;
}

/** The IPC channel of the current process (which must have been forked with one). */
export function processEndpoint(proc: NodeJS.Process = process): IpcEndpoint {
  const emitter = proc as unknown as EventEmitter;
  return {
    on: (event: string, listener: (...args: unknown[]) => void) => emitter.on(event, listener),
    off: (event: string, listener: (...args: unknown[]) => void) => emitter.off(event, listener),
    send: (message, callback) => {
      if (!proc.send || !proc.connected) {
        callback(new Error('IPC channel closed'));
        return false;
      }
      return proc.send(message, undefined, undefined, callback);
    },
  } as IpcEndpoint;
}

/** The IPC tags this transport owns; the worker's main loop ignores them. */
export const TRANSPORT_TAGS: ReadonlySet<string> = new Set(['mcp', 'flow']);

/**
 * SDK `Transport` over the worker's IPC channel, shaped like `StdioServerTransport`: listeners are
 * arrow fields (so `off()` removes exactly them), a second `start()` throws, `close()` fires
 * `onclose` once, and the channel disconnecting closes the transport. Incoming `{t:'mcp'}` messages
 * become `onmessage`; `{t:'flow', paused}` from the supervisor (the client socket is congested)
 * holds `send()` until it is resumed, which is the worker half of the relay's backpressure.
 */
export class IpcServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private started = false;
  private closed = false;
  private paused = false;
  private resumeWaiters: Array<() => void> = [];

  /**
   * `intercept` sees each incoming MCP message first; returning true consumes it (the worker's
   * test-only fault hooks use this, see test-faults.ts).
   */
  constructor(
    private readonly endpoint: IpcEndpoint,
    private readonly options: { intercept?: (message: JSONRPCMessage) => boolean } = {},
  ) {}

  _onmessage = (raw: unknown): void => {
    const tag = typeof raw === 'object' && raw !== null && 't' in raw ? raw.t : undefined;
    if (typeof tag !== 'string' || !TRANSPORT_TAGS.has(tag)) return;
    let msg;
    try {
      msg = parseIpc(toWorkerSchema, raw);
    } catch (error) {
      this.onerror?.(error as Error);
      return;
    }
    if (msg.t === 'mcp') {
      const message = msg.msg as JSONRPCMessage;
      if (!this.options.intercept?.(message)) this.onmessage?.(message);
    } else if (msg.t === 'flow') this.setPaused(msg.paused);
  };

  _ondisconnect = (): void => {
    this.close().catch(() => {});
  };

  async start(): Promise<void> {
    if (this.started) throw new Error('IpcServerTransport already started');
    this.started = true;
    this.endpoint.on('message', this._onmessage);
    this.endpoint.on('disconnect', this._ondisconnect);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.endpoint.off('message', this._onmessage);
    this.endpoint.off('disconnect', this._ondisconnect);
    this.setPaused(false);
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    while (this.paused && !this.closed)
      await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    if (this.closed) throw new Error('IpcServerTransport is closed');
    await new Promise<void>((resolve, reject) => {
      try {
        this.endpoint.send({ t: 'mcp', msg: message as JsonRpcMessage }, (error) =>
          error ? reject(error) : resolve(),
        );
      } catch (error) {
        reject(error as Error);
      }
    });
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) return;
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const resume of waiters) resume();
  }
}
