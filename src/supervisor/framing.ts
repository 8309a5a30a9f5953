import { errorData } from '../shared/errors.js';
import type { JsonRpcId, JsonRpcMessage } from '../shared/ipc.js';
import { isJsonRpcMessage, isRequestId } from '../shared/ipc.js';

/** JSON-RPC error codes the supervisor answers with itself. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INTERNAL_ERROR = -32603;
/** Implementation-defined server error (JSON-RPC reserves -32000..-32099). */
export const SERVER_BUSY = -32000;

export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: { code: number; message: string; data?: unknown };
}

export function errorResponse(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcErrorResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/**
 * Newline-delimited framing with a bounded buffer. A line longer than `maxBytes` is reported
 * once through `onOverflow` as soon as the limit is crossed; the rest of that line is dropped up
 * to its newline, so framing is kept and the next line is read normally.
 */
export class LineFramer {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.hold(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
      } else if (this.size + piece.length > this.maxBytes) {
        this.reset();
        this.onOverflow();
      } else {
        const line = this.size === 0 ? piece : Buffer.concat([...this.parts, piece]);
        this.reset();
        this.onLine(line);
      }
    }
  }

  private hold(rest: Buffer): void {
    if (this.discarding || rest.length === 0) return;
    if (this.size + rest.length > this.maxBytes) {
      this.reset();
      this.discarding = true;
      this.onOverflow();
      return;
    }
    this.parts.push(rest);
    this.size += rest.length;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
  }
}

export type Frame = { ok: true; msg: JsonRpcMessage } | { ok: false; reply: JsonRpcErrorResponse } | null;

/**
 * Arrays and objects a client message may nest. A value parsed from JSON can always be written as
 * JSON again, except past the depth where `JSON.stringify`'s recursion runs out of stack (between
 * 4,000 and 8,000 levels with node's default stack), and the relay writes every message to its
 * worker that way. D-Bus values nest at most 64 containers deep.
 */
export const MAX_MESSAGE_DEPTH = 1000;

const isMcpRequestId = (id: unknown): boolean => typeof id === 'string' || Number.isSafeInteger(id);

/** True when `value` nests arrays and objects deeper than `limit` levels (iterative: no recursion). */
function nestsDeeper(value: object, limit: number): boolean {
  const stack: Array<{ v: object; depth: number }> = [{ v: value, depth: 1 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.depth > limit) return true;
    for (const item of Array.isArray(top.v) ? top.v : Object.values(top.v)) {
      if (item !== null && typeof item === 'object') stack.push({ v: item, depth: top.depth + 1 });
    }
  }
  return false;
}

/**
 * Validates one line from the client: null for a blank line, the message when it is one JSON-RPC
 * 2.0 object, else the error response to send (-32700 for bad JSON, -32600 for batches,
 * non-objects and objects that are not JSON-RPC).
 */
export function parseFrame(line: Buffer): Frame {
  const text = line.toString('utf8').trim();
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reply: errorResponse(null, PARSE_ERROR, `Parse error: ${(e as Error).message}`) };
  }
  if (Array.isArray(value)) {
    return {
      ok: false,
      reply: errorResponse(null, INVALID_REQUEST, 'Invalid Request: JSON-RPC batches are not supported'),
    };
  }
  if (typeof value !== 'object' || value === null) {
    return {
      ok: false,
      reply: errorResponse(null, INVALID_REQUEST, 'Invalid Request: a message must be a JSON object'),
    };
  }
  // Refused with the message's own id, when it is one JSON can carry back.
  const refuse = (why: string, data?: unknown): Frame => {
    const raw = (value as { id?: unknown }).id;
    const id = isRequestId(raw) ? raw : null;
    return { ok: false, reply: errorResponse(id, INVALID_REQUEST, `Invalid Request: ${why}`, data) };
  };
  // Each level takes two bytes at least (`[]`): a shorter line cannot be too deep.
  if (line.length > 2 * MAX_MESSAGE_DEPTH && nestsDeeper(value, MAX_MESSAGE_DEPTH)) {
    return refuse(
      `the message nests arrays and objects more than ${MAX_MESSAGE_DEPTH} levels deep`,
      errorData('MESSAGE_TOO_DEEP', { limit: MAX_MESSAGE_DEPTH }),
    );
  }
  if (!isJsonRpcMessage(value)) return refuse('not a JSON-RPC 2.0 message');
  // MCP request ids are strings or integers (never null). The SDK drops any other request unanswered,
  // so it is answered here, where the client still hears of it.
  if ('method' in value && 'id' in value && !isMcpRequestId(value.id)) {
    return refuse('a request id must be a string or an integer');
  }
  return { ok: true, msg: value };
}
