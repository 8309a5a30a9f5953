import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { serveStdio as ServeStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { createWorkerRuntime as CreateWorkerRuntime } from './runtime.js';

/** The warm-up gives up after this long; the worker then boots cold rather than late. */
const WARM_UP_DEADLINE_MS = 5000;
/** A read every bus answers (dbus-daemon and dbus-broker both have the Features property). */
const DRIVER_READ = {
  bus: 'session',
  service: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
  property: 'Features',
};
const CLIENT_INFO = { name: 'dbus-mcp-warm-up', version: '1' };
/** The per-request `_meta` of the 2026-07-28 era (no handshake: every request says who it is). */
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  'io.modelcontextprotocol/clientCapabilities': {},
};

export interface WarmUpDeps {
  serveStdio: typeof ServeStdio;
  createWorkerRuntime: typeof CreateWorkerRuntime;
  config: Config;
  log: Logger;
  /** Where the runtime reads rule files from (`env.HOME`); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface WarmUpOptions {
  /**
   * One real `get_property` of the session bus driver: connect, handshake, policy, marshalling.
   * Off where there is no bus to use (building the worker snapshot).
   */
  busRead: boolean;
}

/** One in-memory MCP session: `send` a request, await its answer (any answer counts). */
async function session(
  deps: WarmUpDeps,
  runtime: ReturnType<typeof CreateWorkerRuntime>,
  steps: (
    request: (method: string, params: Record<string, unknown>) => Promise<void>,
    notify: (method: string) => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const [client, server] = InMemoryTransport.createLinkedPair();
  const served = deps.serveStdio(runtime.factory, { transport: server, onerror: () => {} });
  try {
    const waiting = new Map<number, () => void>();
    client.onmessage = (msg: JSONRPCMessage) => {
      if ('id' in msg && typeof msg.id === 'number' && !('method' in msg)) waiting.get(msg.id)?.();
    };
    await client.start();
    let id = 0;
    const request = (method: string, params: Record<string, unknown>) =>
      new Promise<void>((resolve, reject) => {
        const n = ++id;
        waiting.set(n, resolve);
        client.send({ jsonrpc: '2.0', id: n, method, params }).catch(reject);
      });
    const notify = (method: string) => client.send({ jsonrpc: '2.0', method });
    await steps(request, notify);
  } finally {
    await served.close().catch(() => {});
    await client.close().catch(() => {});
  }
}

/**
 * Runs throwaway MCP sessions in memory, through the same runtime and SDK code a client's requests
 * take, so V8 has compiled that path (and the SDK has built its schemas for both protocol eras)
 * before a client needs it: a 2025-era session (initialize, tools/list, a tools/call that fails
 * input validation, with `busRead` one real `get_property` of the session bus driver's `Features`
 * — a read: allowed at every level, no audit line; its short-lived bus connection closes with the
 * runtime) and a 2026-era one (server/discover, tools/list).
 *
 * A spare worker runs it before it reports `booted` (bench/README.md, "Warm-up"); the worker
 * snapshot runs it without the bus read while it is built (commands/worker-snapshot.ts), so a
 * worker started from the snapshot has all of it already. Nothing of the runtime is kept. Best
 * effort: a failure is logged at debug and ignored.
 */
export async function warmUp(deps: WarmUpDeps, options: WarmUpOptions = { busRead: true }): Promise<void> {
  const log = deps.log.child({ component: 'warm-up' }, { level: 'silent' });
  const started = performance.now();
  let runtime: ReturnType<typeof CreateWorkerRuntime> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const rt = deps.createWorkerRuntime({
      config: deps.config,
      log,
      clientId: 'warm-up',
      ...(deps.env ? { env: deps.env } : {}),
    });
    runtime = rt;
    const work = (async () => {
      await session(deps, rt, async (request, notify) => {
        await request('initialize', {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: CLIENT_INFO,
        });
        await notify('notifications/initialized');
        await request('tools/list', {});
        await request('tools/call', { name: 'get_property', arguments: { bus: 'session', service: '' } });
        if (options.busRead) await request('tools/call', { name: 'get_property', arguments: DRIVER_READ });
      });
      await session(deps, rt, async (request) => {
        await request('server/discover', { _meta: MODERN_META });
        await request('tools/list', { _meta: MODERN_META });
      });
    })();
    const deadline = new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not done within ${WARM_UP_DEADLINE_MS} ms`)),
        WARM_UP_DEADLINE_MS,
      );
    });
    await Promise.race([work, deadline]);
    deps.log.debug({ warmUpMs: Math.round(performance.now() - started) }, 'worker warmed up');
  } catch (err) {
    deps.log.debug({ err }, 'worker warm-up skipped');
  } finally {
    clearTimeout(timer);
    await runtime?.close().catch(() => {});
  }
}
