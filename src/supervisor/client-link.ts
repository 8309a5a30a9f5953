import type { Socket } from 'node:net';
import { errorData } from '../shared/errors.js';
import type { JsonRpcMessage } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import { INVALID_REQUEST, LineFramer, errorResponse, parseFrame } from './framing.js';

export type PauseReason = 'ipc' | 'no-worker';

export interface ClientLinkEvents {
  /** One valid JSON-RPC message from the client (bad frames are answered here). */
  onMessage: (msg: JsonRpcMessage) => void;
  /** The client ended its side (half-close or gone). */
  onEnd: () => void;
  onClose: () => void;
  /** Writing to the client is congested (true) or drained again (false). */
  onCongestion: (congested: boolean) => void;
}

/**
 * The client's socket as the session sees it: newline-delimited framing with the line bound
 * (MAX_MESSAGE_BYTES), answers to frames that are not one JSON-RPC message, writes that report
 * congestion, and reading paused while any reason to pause holds.
 */
export class ClientLink {
  private readonly framer: LineFramer;
  private readonly pauses = new Set<PauseReason>();
  private congested = false;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly log: Logger,
    private readonly events: ClientLinkEvents,
  ) {
    this.framer = new LineFramer(maxBytes, (line) => this.onLine(line), this.onOverflow);
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('end', () => {
      this.ended = true;
      events.onEnd();
    });
    socket.on('close', () => events.onClose());
    socket.on('error', (err) => log.debug({ err }, 'client socket error'));
    socket.on('drain', () => {
      if (!this.congested) return;
      this.congested = false;
      events.onCongestion(false);
    });
  }

  /** The client ended its side (half-close or gone). */
  get hasEnded(): boolean {
    return this.ended;
  }

  get isCongested(): boolean {
    return this.congested;
  }

  /** Writes one message as a line; a full socket buffer is reported through onCongestion. */
  write(msg: object): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (!this.socket.write(`${JSON.stringify(msg)}\n`) && !this.congested) {
      this.congested = true;
      this.events.onCongestion(true);
    }
  }

  pause(reason: PauseReason): void {
    this.pauses.add(reason);
    this.socket.pause();
  }

  resume(reason: PauseReason): void {
    this.pauses.delete(reason);
    if (this.pauses.size === 0 && !this.ended) this.socket.resume();
  }

  /** Half-closes; the socket is destroyed if the peer has not closed within a grace period. */
  end(): void {
    this.pauses.add('no-worker');
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private onLine(line: Buffer): void {
    const frame = parseFrame(line);
    if (frame === null) return;
    if (!frame.ok) this.write(frame.reply);
    else this.events.onMessage(frame.msg);
  }

  private readonly onOverflow = (): void => {
    this.log.warn({ limit: this.maxBytes }, 'client message too long; discarded');
    this.write(
      errorResponse(
        null,
        INVALID_REQUEST,
        `message longer than MAX_MESSAGE_BYTES (${this.maxBytes} bytes); the rest of the line was discarded`,
        errorData('MESSAGE_TOO_LARGE', { limit: this.maxBytes }),
      ),
    );
  };
}
