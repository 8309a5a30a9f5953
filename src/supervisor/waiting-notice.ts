import { errorData } from '../shared/errors.js';
import type { JsonRpcMessage } from '../shared/ipc.js';
import { isRequest } from './session-state.js';
import type { WorkerLike } from './worker.js';

/**
 * What a client still waiting for its first worker is told: one `notifications/message` warning
 * (how long, where the worker's boot is, when the session gives up) and a
 * `notifications/progress` for each waiting request that carries `_meta.progressToken`.
 */
export function waitingNotices(state: {
  waitedMs: number;
  boundMs: number;
  worker: WorkerLike | undefined;
  queue: readonly JsonRpcMessage[];
}): object[] {
  const waited = Math.round(state.waitedMs / 1000);
  const bound = Math.round(state.boundMs / 1000);
  const where = state.worker
    ? `worker ${state.worker.pid} is at "${state.worker.bootStage}"`
    : 'no worker yet';
  const message =
    `dbus-mcp: waiting ${waited} s for a worker process to start (${where}); the machine may be ` +
    `slow or CPU-limited; giving up after ${bound} s`;
  const notices: object[] = [
    {
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'warning', logger: 'dbus-mcp', data: message },
    },
  ];
  for (const msg of state.queue) {
    const token = isRequest(msg) ? progressTokenOf(msg) : undefined;
    if (token === undefined) continue;
    notices.push({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: token, progress: waited, total: bound, message },
    });
  }
  return notices;
}

function progressTokenOf(msg: JsonRpcMessage): string | number | undefined {
  const meta = 'params' in msg && msg.params ? (msg.params as { _meta?: unknown })._meta : undefined;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

/** What a client is told when no worker could be started for it: the cause and, if known, why. */
export function startFailure(cause: string, hint: string | undefined): { finalError: string; data: object } {
  return {
    finalError: `worker could not start (${cause})${hint ? `; ${hint}` : ''}; closing this session`,
    data: errorData('WORKER_START_FAILED', { cause }),
  };
}
