import type { Socket } from 'node:net';
import type { AppError } from '../shared/errors.js';
import { errorData } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { LineFramer, SERVER_BUSY, errorResponse, parseFrame } from './framing.js';

/** A client that sends no request is told anyway after this long, then closed. */
export const REFUSAL_IDLE_MS = 5000;

/** What a broken configuration is told as: the fault and how to recover. */
export interface StartFault {
  error: AppError;
  fix: string;
}

/** The fix an operator applies to a configuration fault under the systemd units. */
export const CONFIG_FIX =
  'fix the file, then run `systemctl --user reload dbus-mcp-standalone.service` (or restart it); ' +
  '`dbus-mcp check-config` shows what is wrong';

export function faultMessage(fault: StartFault): string {
  return `dbus-mcp cannot serve: configuration error: ${fault.error.message}; ${fault.fix}`;
}

/**
 * Serves one connection of a server that cannot serve (a broken configuration under socket
 * activation): every request is answered with a JSON-RPC error (-32000, `data.code` the fault's
 * catalogue code, `data.fix`) naming file:line and the fix; after the first answer, or
 * REFUSAL_IDLE_MS without a request (then with `id: null`), the connection is closed.
 */
export function refuseConnection(socket: Socket, fault: StartFault, maxBytes: number, log: Logger): void {
  const message = faultMessage(fault);
  const data = errorData(fault.error.code, { fix: fault.fix });
  let answered = false;
  const finish = (id: string | number | null) => {
    if (answered) return;
    answered = true;
    clearTimeout(idle);
    socket.end(`${JSON.stringify(errorResponse(id, SERVER_BUSY, message, data))}\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  const framer = new LineFramer(
    maxBytes,
    (line) => {
      const frame = parseFrame(line);
      if (frame === null) return;
      if (!frame.ok) {
        if (!socket.destroyed) socket.write(`${JSON.stringify(frame.reply)}\n`);
        return;
      }
      const msg = frame.msg;
      if ('method' in msg && 'id' in msg && (typeof msg.id === 'string' || typeof msg.id === 'number')) {
        finish(msg.id);
      }
    },
    () => finish(null),
  );
  const idle = setTimeout(() => finish(null), REFUSAL_IDLE_MS);
  idle.unref();
  socket.on('data', (chunk: Buffer) => framer.push(chunk));
  socket.on('end', () => finish(null));
  log.warn({ code: fault.error.code }, 'client refused: configuration error');
}
