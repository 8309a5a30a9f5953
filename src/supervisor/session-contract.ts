import type { Socket } from 'node:net';
import type { Config } from '../shared/config.js';
import type { JsonRpcMessage } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import type { BucketDecision, RateBucketName } from '../shared/rate-buckets.js';
import type { StartAnswersCache } from './start-answers.js';
import type { WorkerLike } from './worker.js';

/**
 * The contract of a client session (client-session.ts): what the supervisor hands it, the limits
 * it keeps, and the phases it goes through.
 */

export const CRASH_MESSAGE = 'worker crashed; the session continues';
/**
 * After the client ends its side, requests in flight get this long to be answered before the
 * session closes. (A socket peer that is gone entirely looks the same as a half-close until we
 * write to it, so the wait is bounded; the SDK's own stdio server answers nothing after EOF.)
 */
export const HANGUP_GRACE_MS = 3000;
/** A session whose opening the supervisor can answer forks its worker after the first message, or after this. */
export const FIRST_MESSAGE_WAIT_MS = 20;
/** A client still waiting for its first worker hears how it goes this often. */
export const WAITING_NOTICE_MS = 5000;
/**
 * Messages held while no worker is ready; past this the socket is no longer read (backpressure)
 * until one is. Holding a few means the session sees the client's opening requests (to answer
 * them if no worker comes, and to tell a waiting client what is going on).
 */
export const MAX_QUEUED = 8;

export interface SessionOptions {
  id: string;
  socket: Socket;
  config: () => Config;
  log: Logger;
  /** A worker for this client: a spare when one is there, else a fresh fork. */
  acquireWorker: () => WorkerLike;
  onClosed: (session: { readonly id: string }) => void;
  /** Takes a token of the service-wide rate bucket (all sessions share it; it outlives workers and reloads). */
  takeServiceToken?: (bucket: RateBucketName) => BucketDecision;
  /** Why workers may not start on this machine (CPU quota, the keys to change), for error texts. */
  explainStartFailure?: () => string;
  /**
   * Answers `server/discover` probes, and a 2025-era opening (`initialize`, `tools/list`) while
   * the worker boots, without a worker when it can (start-answers.ts).
   */
  startAnswers?: StartAnswersCache;
}

/**
 * The session's one state. `starting`: no worker has been ready for this client yet (its
 * messages wait). `replaying`: a replacement worker is ready and the cached handshake is being
 * replayed to it — or (`opening`) the first worker is given the `initialize` the supervisor
 * answered (start-answers.ts). `ready`: messages flow. `restarting`: the worker crashed after serving; a
 * replacement is on its way. `closing`: the session ends; nothing restarts.
 */
export type Phase =
  | { name: 'starting' }
  | { name: 'replaying'; steps: JsonRpcMessage[]; awaiting: string | undefined; opening?: boolean }
  | { name: 'ready' }
  | { name: 'restarting' }
  | { name: 'closing'; done: Promise<void> };
