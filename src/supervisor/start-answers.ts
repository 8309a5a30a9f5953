import { z } from 'zod';
import type { Config } from '../shared/config.js';
import { configToText } from '../shared/config.js';
import type { JsonRpcMessage, StartAnswers } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import type { AnswersStore, KnownAnswers } from './start-answers-file.js';
import { isRequest } from './session-state.js';
import type { WorkerLike } from './worker.js';

const VERSION = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
const CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
/** The era whose connections stay stateless (a claim of it keeps a session answerable). */
const MODERN = '2026-07-28';

const empty = z.strictObject({});
const clientInfoSchema = z.strictObject({
  name: z.string(),
  version: z.string(),
  title: z.string().optional(),
});
const capabilitiesSchema = z.strictObject({
  roots: z.strictObject({ listChanged: z.boolean().optional() }).optional(),
  sampling: empty.optional(),
  elicitation: z.strictObject({ form: empty.optional(), url: empty.optional() }).optional(),
});
/**
 * The 2026-era `_meta` envelopes the SDK is known to accept (a strict subset of its own schema:
 * test/unit/supervisor/start-answers.test.ts runs each shape against the real SDK server).
 * Anything else, however valid, goes to the worker, whose SDK judges it.
 */
const envelopeSchema = z.strictObject({
  [VERSION]: z.string(),
  [CLIENT_INFO]: clientInfoSchema,
  [CAPABILITIES]: capabilitiesSchema,
  progressToken: z.union([z.string(), z.number().int()]).optional(),
});
const discoverParamsSchema = z.strictObject({ _meta: envelopeSchema });
/**
 * The `initialize` params answered without a worker: what hosts send (a strict subset of the
 * SDK's schema, checked the same way). The SDK's answer depends only on `protocolVersion`; the
 * client's capabilities and identity reach the worker when the request is replayed to it.
 */
const initializeParamsSchema = z.strictObject({
  protocolVersion: z.string(),
  capabilities: capabilitiesSchema,
  clientInfo: clientInfoSchema,
});

const metaOf = (msg: JsonRpcMessage): unknown =>
  'params' in msg && msg.params ? (msg.params as Record<string, unknown>)._meta : undefined;
const claimOf = (msg: JsonRpcMessage): unknown => {
  const meta = metaOf(msg);
  return typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)[VERSION] : undefined;
};
/** A request without params, or with an empty params object (no cursor, no `_meta`). */
const bare = (msg: JsonRpcMessage): boolean =>
  !('params' in msg) ||
  msg.params === undefined ||
  (typeof msg.params === 'object' && msg.params !== null && Object.keys(msg.params).length === 0);

/** One configuration's identity: every key's text value, in the catalogue's order. */
const keyOf = (config: Config): string => JSON.stringify(configToText(config));

/**
 * What a worker's own SDK server answered, for the configuration in force, to the stateless
 * requests a session opens with (worker/start-answers.ts): `server/discover`, and per 2025-era
 * protocol version `initialize` and the `tools/list` after it. The supervisor answers them itself
 * while a client's worker boots. Per configuration: `setConfig` (a reload) drops answers made
 * under another one, and `offer` keeps only answers made under the configuration in force now, so
 * a stale level's instructions are never served.
 *
 * With a store (start-answers-file.ts), answers a worker of an earlier run gave for the same
 * program and configuration are used until a worker of this run answers: the first connection of
 * the day (socket activation) is answered before any worker booted. `tools/list` is never stored
 * (a tool's description may depend on the environment the worker runs in; this run's spare gives
 * it).
 */
export class StartAnswersCache {
  #key: string;
  #answers: KnownAnswers | undefined;
  /** A worker of this run answered for the configuration in force. */
  #learned = false;
  /** The configuration a worker is being asked about now (one question at a time per configuration). */
  #asking: string | undefined;

  constructor(
    config: Config,
    private readonly log: Logger,
    private readonly store?: AnswersStore,
  ) {
    this.#key = keyOf(config);
    this.#answers = store?.load(this.#key);
  }

  /** Where the answers for the configuration in force come from (the status document). */
  get source(): 'learnt' | 'stored' | 'none' {
    return this.#learned ? 'learnt' : this.#answers ? 'stored' : 'none';
  }

  /** A reload: answers made under another configuration are dropped. */
  setConfig(config: Config): void {
    const key = keyOf(config);
    if (key === this.#key) return;
    this.#key = key;
    this.#answers = this.store?.load(key);
    this.#learned = false;
  }

  /** A worker's answers for `config`; kept only when `config` is still the one in force. */
  offer(config: Config, answers: StartAnswers): boolean {
    const key = keyOf(config);
    if (key !== this.#key) return false;
    this.#answers = answers;
    this.#learned = true;
    this.store?.save(key, answers);
    return true;
  }

  /**
   * Asks a booted worker (a spare: its client is not kept waiting) for its answers under
   * `config`, the configuration in force, when no worker of this run has given them yet.
   */
  learn(worker: Pick<WorkerLike, 'startAnswers' | 'pid'> | undefined, config: Config): void {
    const key = keyOf(config);
    if (!worker || this.#learned || key !== this.#key || this.#asking === key) return;
    this.#asking = key;
    const askedAt = Date.now();
    worker
      .startAnswers(config)
      .then(
        (answers) => {
          if (!this.offer(config, answers)) return;
          const answerMs = Date.now() - askedAt;
          this.log.info({ workerPid: worker.pid, answerMs }, 'start answers cached');
        },
        (err: unknown) => this.log.debug({ err, workerPid: worker.pid }, 'no start answers from worker'),
      )
      .finally(() => {
        if (this.#asking === key) this.#asking = undefined;
      });
  }

  /** The response to `msg` when it is a probe the cached answer is the SDK's answer to, else undefined. */
  discover(msg: JsonRpcMessage): JsonRpcMessage | undefined {
    const result = this.#answers?.discover;
    if (!result || !isRequest(msg) || msg.method !== 'server/discover') return undefined;
    const params = discoverParamsSchema.safeParse(msg.params);
    const supported = Array.isArray(result.supportedVersions) ? result.supportedVersions : [];
    if (!params.success || !supported.includes(params.data._meta[VERSION])) return undefined;
    return { jsonrpc: '2.0', id: msg.id, result };
  }

  /** True when some opening can be answered (an `initialize` result for the configuration in force). */
  get opens(): boolean {
    return this.#answers !== undefined && Object.keys(this.#answers.opening).length > 0;
  }

  /** The `initialize` result for a client asking for `version`, when the SDK echoes it. */
  initialize(version: string): Record<string, unknown> | undefined {
    return this.#answers?.opening[version]?.initialize;
  }

  /** The `tools/list` result of a session opened at `version`. */
  toolsList(version: string): Record<string, unknown> | undefined {
    return this.#answers?.opening[version]?.toolsList;
  }
}

/**
 * One session's use of the cache for `server/discover`. The SDK's stdio serving pins a connection
 * to the 2025 era on the first message without a 2026-era envelope (`initialize`, a bare request,
 * even a notification); its worker then answers `server/discover` with "method not found". So a
 * session is answered from the cache only while every message it sent carried an envelope of the
 * shapes above (notifications: a claim of a version the cached answer supports).
 */
export class SessionDiscover {
  #modern = true;

  constructor(private readonly cache: StartAnswersCache) {}

  /** Sees every client message in order; returns the response when the cache answers it. */
  answer(msg: JsonRpcMessage): JsonRpcMessage | undefined {
    if (!this.#modern) return undefined;
    const answered = this.cache.discover(msg);
    if (answered) return answered;
    const claimsModern = 'method' in msg && claimOf(msg) === MODERN;
    const keepsEra = claimsModern && (!isRequest(msg) || envelopeSchema.safeParse(metaOf(msg)).success);
    if (!keepsEra) this.#modern = false;
    return undefined;
  }
}

type Opening =
  | { name: 'fresh' }
  | { name: 'opened'; version: string; initialize: JsonRpcMessage }
  | { name: 'handed-over' };

/**
 * One session's 2025-era opening while its worker boots: an `initialize` that is the session's
 * first message, of the shapes above, asking for a version the SDK echoes, is answered from the
 * cache; so is every bare `tools/list` after it. The first worker is given that `initialize`
 * first (`answered`), its answer swallowed, then everything the client sent after it, in order, as
 * if it had answered itself; once it is ready it takes over (`handOver`).
 */
export class SessionOpening {
  #state: Opening = { name: 'fresh' };

  constructor(private readonly cache: StartAnswersCache) {}

  /** Sees every client message until the hand-over; returns the response when the cache answers it. */
  answer(msg: JsonRpcMessage): JsonRpcMessage | undefined {
    const state = this.#state;
    if (state.name === 'fresh') {
      this.#state = { name: 'handed-over' };
      if (!isRequest(msg) || msg.method !== 'initialize') return undefined;
      const params = initializeParamsSchema.safeParse(msg.params);
      const result = params.success ? this.cache.initialize(params.data.protocolVersion) : undefined;
      if (!params.success || !result) return undefined;
      this.#state = { name: 'opened', version: params.data.protocolVersion, initialize: msg };
      return { jsonrpc: '2.0', id: msg.id, result };
    }
    if (state.name !== 'opened' || !isRequest(msg) || msg.method !== 'tools/list' || !bare(msg))
      return undefined;
    const result = this.cache.toolsList(state.version);
    return result && { jsonrpc: '2.0', id: msg.id, result };
  }

  /** True while a first message could still be answered here. */
  canAnswer(): boolean {
    return this.#state.name === 'fresh' && this.cache.opens;
  }

  /** The `initialize` answered from the cache, which the first worker must be given first; if any. */
  answered(): JsonRpcMessage | undefined {
    return this.#state.name === 'opened' ? this.#state.initialize : undefined;
  }

  /** The worker is ready: from now on it answers everything. */
  handOver(): void {
    this.#state = { name: 'handed-over' };
  }
}
