import { z } from 'zod';
import type { Config } from '../shared/config.js';
import { configToText } from '../shared/config.js';
import type { JsonRpcMessage } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import { isRequest } from './session-state.js';
import type { WorkerLike } from './worker.js';

const VERSION = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
const CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
/** The era whose connections stay stateless (a claim of it keeps a session answerable). */
const MODERN = '2026-07-28';

const empty = z.strictObject({});
/**
 * The 2026-era `_meta` envelopes the SDK is known to accept (a strict subset of its own schema:
 * test/unit/supervisor/discover-cache.test.ts runs each shape against the real SDK server).
 * Anything else, however valid, goes to the worker, whose SDK judges it.
 */
const envelopeSchema = z.strictObject({
  [VERSION]: z.string(),
  [CLIENT_INFO]: z.strictObject({ name: z.string(), version: z.string(), title: z.string().optional() }),
  [CAPABILITIES]: z.strictObject({
    roots: z.strictObject({ listChanged: z.boolean().optional() }).optional(),
    sampling: empty.optional(),
    elicitation: z.strictObject({ form: empty.optional(), url: empty.optional() }).optional(),
  }),
  progressToken: z.union([z.string(), z.number().int()]).optional(),
});
const discoverParamsSchema = z.strictObject({ _meta: envelopeSchema });

const metaOf = (msg: JsonRpcMessage): unknown =>
  'params' in msg && msg.params ? (msg.params as Record<string, unknown>)._meta : undefined;
const claimOf = (msg: JsonRpcMessage): unknown => {
  const meta = metaOf(msg);
  return typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)[VERSION] : undefined;
};

/** One configuration's identity: every key's text value, in the catalogue's order. */
const keyOf = (config: Config): string => JSON.stringify(configToText(config));

/**
 * The `server/discover` result a worker's own SDK server gave for the configuration in force, so
 * the supervisor can answer a host's probe without waiting for a worker to boot. Per
 * configuration: `setConfig` (a reload) drops an answer made under another one, and `offer` keeps
 * only an answer made under the configuration in force now, so a stale level's instructions are
 * never served. Empty: every probe goes to the worker, as without the cache.
 */
export class DiscoverCache {
  #key: string;
  #result: Record<string, unknown> | undefined;
  /** The configuration a worker is being asked about now (one question at a time per configuration). */
  #asking: string | undefined;

  constructor(
    config: Config,
    private readonly log: Logger,
  ) {
    this.#key = keyOf(config);
  }

  /** True while there is no answer for the configuration in force. */
  get empty(): boolean {
    return this.#result === undefined;
  }

  /** A reload: an answer made under another configuration is dropped. */
  setConfig(config: Config): void {
    const key = keyOf(config);
    if (key === this.#key) return;
    this.#key = key;
    this.#result = undefined;
  }

  /** A worker's answer for `config`; kept only when `config` is still the one in force. */
  offer(config: Config, result: Record<string, unknown>): boolean {
    if (keyOf(config) !== this.#key) return false;
    this.#result = result;
    return true;
  }

  /**
   * Asks a booted worker (a spare: its client is not kept waiting) for its answer under `config`,
   * the configuration in force, when there is none yet.
   */
  learn(worker: Pick<WorkerLike, 'discover' | 'pid'> | undefined, config: Config): void {
    const key = keyOf(config);
    if (!worker || !this.empty || key !== this.#key || this.#asking === key) return;
    this.#asking = key;
    const askedAt = Date.now();
    worker
      .discover(config)
      .then(
        (result) => {
          if (!this.offer(config, result)) return;
          const answerMs = Date.now() - askedAt;
          this.log.debug({ workerPid: worker.pid, answerMs }, 'server/discover answer cached');
        },
        (err: unknown) =>
          this.log.debug({ err, workerPid: worker.pid }, 'no server/discover answer from worker'),
      )
      .finally(() => {
        if (this.#asking === key) this.#asking = undefined;
      });
  }

  /** The response to `msg` when it is a probe the cached answer is the SDK's answer to, else undefined. */
  answer(msg: JsonRpcMessage): JsonRpcMessage | undefined {
    const result = this.#result;
    if (!result || !isRequest(msg) || msg.method !== 'server/discover') return undefined;
    const params = discoverParamsSchema.safeParse(msg.params);
    const supported = Array.isArray(result.supportedVersions) ? result.supportedVersions : [];
    if (!params.success || !supported.includes(params.data._meta[VERSION])) return undefined;
    return { jsonrpc: '2.0', id: msg.id, result };
  }
}

/**
 * One session's use of the cache. The SDK's stdio serving pins a connection to the 2025 era on
 * the first message without a 2026-era envelope (`initialize`, a bare request, even a
 * notification); its worker then answers `server/discover` with "method not found". So a session
 * is answered from the cache only while every message it sent carried an envelope of the shapes
 * above (notifications: a claim of a version the cached answer supports).
 */
export class SessionDiscover {
  #modern = true;

  constructor(private readonly cache: DiscoverCache) {}

  /** Sees every client message in order; returns the response when the cache answers it. */
  answer(msg: JsonRpcMessage): JsonRpcMessage | undefined {
    if (!this.#modern) return undefined;
    const answered = this.cache.answer(msg);
    if (answered) return answered;
    const claimsModern = 'method' in msg && claimOf(msg) === MODERN;
    const keepsEra = claimsModern && (!isRequest(msg) || envelopeSchema.safeParse(metaOf(msg)).success);
    if (!keepsEra) this.#modern = false;
    return undefined;
  }
}
