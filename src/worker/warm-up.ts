import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { serveStdio as ServeStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../shared/config.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { createWorkerRuntime as CreateWorkerRuntime } from './server.js';

/** The warm-up gives up after this long; the worker then boots cold rather than late. */
const WARM_UP_DEADLINE_MS = 5000;

/**
 * Runs one throwaway MCP session in memory before a worker reports `booted`: initialize,
 * tools/list and a tools/call that fails input validation (no D-Bus traffic, no policy decision,
 * no audit line). V8 compiles functions lazily on their first call, so without this the client's
 * first `initialize` and `tools/list` paid ~60–130 ms of compilation on this machine (see
 * bench/README.md); a spare worker now pays it while it waits. The runtime is closed afterwards
 * and nothing of it is kept. Best effort: any failure is logged at debug and ignored.
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
    deps.log.debug({ err: errorMessage(err) }, 'worker warm-up skipped');
  } finally {
    clearTimeout(timer);
    await served?.close().catch(() => {});
    await runtime?.close().catch(() => {});
    await client.close().catch(() => {});
  }
}
