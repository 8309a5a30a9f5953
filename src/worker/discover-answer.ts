import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { serveStdio as ServeStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { createWorkerRuntime as CreateWorkerRuntime } from './runtime.js';

/** The canonical 2026-07-28 probe: what every host sends, with an empty capability set. */
export const CANONICAL_DISCOVER = {
  jsonrpc: '2.0' as const,
  id: 1,
  method: 'server/discover',
  params: {
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'dbus-mcp-supervisor', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
};

export interface DiscoverAnswerDeps {
  serveStdio: typeof ServeStdio;
  createWorkerRuntime: typeof CreateWorkerRuntime;
  config: Config;
  log: Logger;
}

/**
 * The JSON-RPC `result` this worker's MCP server gives `server/discover` under `config`: a
 * throwaway runtime and an in-memory session through `serveStdio`, exactly the path a client's
 * request takes (the SDK's `_ondiscover` plus what its 2026-era encode seam adds: `resultType`,
 * cache hints, `_meta` serverInfo). Nothing of the runtime is kept; it opens no bus (no tool runs).
 * The supervisor answers probes with it while no worker is ready (supervisor/discover-cache.ts).
 */
export async function discoverAnswer(deps: DiscoverAnswerDeps): Promise<Record<string, unknown>> {
  const runtime = deps.createWorkerRuntime({
    config: deps.config,
    log: deps.log.child({ component: 'discover' }, { level: 'silent' }),
    clientId: 'discover',
  });
  const [client, server] = InMemoryTransport.createLinkedPair();
  const served = deps.serveStdio(runtime.factory, { transport: server, onerror: () => {} });
  try {
    const answer = new Promise<JSONRPCMessage>((resolve) => {
      client.onmessage = (msg) => {
        if ('id' in msg && msg.id === CANONICAL_DISCOVER.id && !('method' in msg)) resolve(msg);
      };
    });
    await client.start();
    await client.send(CANONICAL_DISCOVER);
    const msg = await answer;
    if (!('result' in msg)) throw new Error(`server/discover failed: ${JSON.stringify(msg)}`);
    return msg.result as Record<string, unknown>;
  } finally {
    await served.close().catch(() => {});
    await client.close().catch(() => {});
    await runtime.close().catch(() => {});
  }
}
