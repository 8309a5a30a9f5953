import { InMemoryTransport, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { serveStdio as ServeStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../shared/config.js';
import type { StartAnswers } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import type { createWorkerRuntime as CreateWorkerRuntime } from './runtime.js';

const CLIENT_INFO = { name: 'dbus-mcp-supervisor', version: '1' };

/** The canonical 2026-07-28 probe: what every host sends, with an empty capability set. */
export const CANONICAL_DISCOVER = {
  jsonrpc: '2.0' as const,
  id: 1,
  method: 'server/discover',
  params: {
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
};

/** A canonical 2025-era `initialize` asking for `protocolVersion`, with an empty capability set. */
export const canonicalInitialize = (protocolVersion: string) => ({
  jsonrpc: '2.0' as const,
  id: 1,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: CLIENT_INFO },
});

export interface StartAnswersDeps {
  serveStdio: typeof ServeStdio;
  createWorkerRuntime: typeof CreateWorkerRuntime;
  config: Config;
  log: Logger;
}

type Result = Record<string, unknown>;

/**
 * The results one throwaway in-memory session through `serveStdio` gives `messages` (requests
 * numbered from 1, in order): exactly the path a client's messages take. Nothing of the runtime
 * is kept; it opens no bus (no tool runs).
 */
async function answersOf(deps: StartAnswersDeps, messages: JSONRPCMessage[]): Promise<Result[]> {
  const runtime = deps.createWorkerRuntime({
    config: deps.config,
    log: deps.log.child({ component: 'start-answers' }, { level: 'silent' }),
    clientId: 'start-answers',
  });
  const [client, server] = InMemoryTransport.createLinkedPair();
  const served = deps.serveStdio(runtime.factory, { transport: server, onerror: () => {} });
  try {
    const waiting = new Map<unknown, (msg: JSONRPCMessage) => void>();
    client.onmessage = (msg) => {
      if ('id' in msg && !('method' in msg)) waiting.get(msg.id)?.(msg);
    };
    await client.start();
    const results: Result[] = [];
    for (const msg of messages) {
      if (!('id' in msg)) {
        await client.send(msg);
        continue;
      }
      const answered = new Promise<JSONRPCMessage>((resolve) => waiting.set(msg.id, resolve));
      await client.send(msg);
      const answer = await answered;
      if (!('result' in answer))
        throw new Error(`${'method' in msg ? msg.method : 'request'} failed: ${JSON.stringify(answer)}`);
      results.push(answer.result as Result);
    }
    return results;
  } finally {
    await served.close().catch(() => {});
    await client.close().catch(() => {});
    await runtime.close().catch(() => {});
  }
}

/**
 * What this worker's MCP server answers the stateless requests a session opens with, under
 * `config`: the canonical `server/discover`, and for every 2025-era protocol version the SDK
 * echoes, `initialize` and the `tools/list` after it. The supervisor answers a new client's
 * opening with them while its worker boots (supervisor/start-answers.ts).
 */
export async function startAnswers(deps: StartAnswersDeps): Promise<StartAnswers> {
  const [discover] = await answersOf(deps, [CANONICAL_DISCOVER]);
  const opening: StartAnswers['opening'] = {};
  for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
    const [initialize, toolsList] = await answersOf(deps, [
      canonicalInitialize(version),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ]);
    // Versions the SDK negotiates down (the 2026 era's) are not openings it would echo.
    if (initialize?.protocolVersion === version && toolsList) opening[version] = { initialize, toolsList };
  }
  if (!discover) throw new Error('server/discover gave no result');
  return { discover, opening };
}
