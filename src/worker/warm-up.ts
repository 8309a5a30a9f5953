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

/**
 * Runs one throwaway MCP session in memory in a spare worker, before it reports `booted`:
 * initialize, tools/list, a tools/call that fails input validation, and one `get_property` of the
 * session bus driver's `Features` (a read: allowed at every level, no audit line; it opens a
 * short-lived bus connection, closed again with the runtime). V8 compiles functions lazily on
 * their first call, so without this a new client's first requests — and the first request after a
 * worker crash — paid tens of milliseconds of compilation (bench/README.md); a spare pays it while
 * it waits. Nothing of the runtime is kept. Best effort: any failure is logged at debug and ignored.
 */
export async function warmUp(deps: {
  serveStdio: typeof ServeStdio;
  createWorkerRuntime: typeof CreateWorkerRuntime;
  config: Config;
  log: Logger;
}): Promise<void> {
  const log = deps.log.child({ component: 'warm-up' }, { level: 'silent' });
  const started = performance.now();
  let runtime: ReturnType<typeof CreateWorkerRuntime> | undefined;
  let served: ReturnType<typeof ServeStdio> | undefined;
  const [client, server] = InMemoryTransport.createLinkedPair();
  let timer: NodeJS.Timeout | undefined;
  try {
    runtime = deps.createWorkerRuntime({ config: deps.config, log, clientId: 'warm-up' });
    served = deps.serveStdio(runtime.factory, { transport: server, onerror: () => {} });
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
    const session = (async () => {
      await request('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'dbus-mcp-warm-up', version: '1' },
      });
      await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      await request('tools/list', {});
      await request('tools/call', { name: 'get_property', arguments: { bus: 'session', service: '' } });
      // One real read from the bus driver: connect, handshake, policy, Properties.Get, marshalling.
      await request('tools/call', { name: 'get_property', arguments: DRIVER_READ });
    })();
    const deadline = new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not done within ${WARM_UP_DEADLINE_MS} ms`)),
        WARM_UP_DEADLINE_MS,
      );
    });
    await Promise.race([session, deadline]);
    deps.log.debug({ warmUpMs: Math.round(performance.now() - started) }, 'worker warmed up');
  } catch (err) {
    deps.log.debug({ err }, 'worker warm-up skipped');
  } finally {
    clearTimeout(timer);
    await served?.close().catch(() => {});
    await runtime?.close().catch(() => {});
    await client.close().catch(() => {});
  }
}
