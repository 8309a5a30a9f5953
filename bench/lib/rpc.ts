import net from 'node:net';

/**
 * A minimal newline-delimited JSON-RPC client over a raw `net.Socket` — what socat relays, with no
 * SDK in the measured path. One request may be outstanding per id; answers are matched by id.
 */

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export class RpcClient {
  /** Bytes of the last answer line (for result-size figures). */
  lastLineBytes = 0;
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<number | string, (m: RpcMessage) => void>();
  private closedError: Error | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedError = new Error('connection closed');
      for (const [, resolve] of this.pending)
        resolve({ jsonrpc: '2.0', error: { code: 0, message: 'connection closed' } });
      this.pending.clear();
    });
  }

  static connect(path: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => resolve(new RpcClient(socket)));
      socket.once('error', reject);
    });
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      nl = this.buf.indexOf('\n');
      if (line.trim() === '') continue;
      const msg = JSON.parse(line) as RpcMessage;
      if (msg.id === undefined || msg.id === null || msg.method !== undefined) continue; // notifications, server requests
      const resolve = this.pending.get(msg.id);
      if (!resolve) continue;
      this.lastLineBytes = Buffer.byteLength(line);
      this.pending.delete(msg.id);
      resolve(msg);
    }
  }

  /** Sends a request and resolves with the whole answer (result or error). */
  request(method: string, params?: Record<string, unknown>): Promise<RpcMessage> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.socket.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  /** The 2025-era handshake: `initialize`, then `notifications/initialized`. */
  async initialize(): Promise<RpcMessage> {
    const answer = await this.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'dbus-mcp-bench', version: '1' },
    });
    if (answer.error) throw new Error(`initialize failed: ${answer.error.message}`);
    this.notify('notifications/initialized');
    return answer;
  }

  /** tools/call; throws on a JSON-RPC error or an `isError` result unless `allowError`. */
  async callTool(name: string, args: Record<string, unknown>, allowError = false): Promise<RpcMessage> {
    const answer = await this.request('tools/call', { name, arguments: args });
    if (!allowError) {
      if (answer.error)
        throw new Error(`${name}: JSON-RPC error ${answer.error.code} ${answer.error.message}`);
      if (answer.result?.isError) throw new Error(`${name}: ${JSON.stringify(answer.result.content)}`);
    }
    return answer;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}
