import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Logger } from '../shared/logger.js';

/**
 * TEST-ONLY fault hooks for the supervisor's integration tests. Disabled unless the worker's
 * environment has TEST_DBUS_MCP_FAULTS=1; then a JSON-RPC request with method
 * `dbus-mcp/test-fault` and params `{ kind, ms? }` is handled here, before the MCP server:
 * - `crash`: exit at once with code 70 (no answer)
 * - `kill`: SIGKILL itself (no answer)
 * - `hang`: block the event loop for good (no answer, no heartbeat)
 * - `ignore-sigterm`: answer, then ignore SIGTERM and the supervisor's shutdown message
 * - `sleep`: answer after `ms` milliseconds (a slow call that stays in flight)
 */
export const TEST_FAULT_METHOD = 'dbus-mcp/test-fault';

export interface TestFaults {
  /** Returns true when it consumed the message. */
  intercept(message: JSONRPCMessage): boolean;
  /** True once `ignore-sigterm` was requested. */
  ignoresShutdown(): boolean;
}

export function createTestFaults(
  env: NodeJS.ProcessEnv,
  log: () => Logger,
  reply: (message: JSONRPCMessage) => void,
): TestFaults {
  let ignoring = false;
  const enabled = env.TEST_DBUS_MCP_FAULTS === '1';
  return {
    ignoresShutdown: () => ignoring,
    intercept(message) {
      if (!enabled || !('method' in message) || message.method !== TEST_FAULT_METHOD || !('id' in message)) {
        return false;
      }
      const params = (message.params ?? {}) as { kind?: string; ms?: number };
      const answer = (result: Record<string, unknown>) => reply({ jsonrpc: '2.0', id: message.id, result });
      log().warn({ fault: params.kind }, 'test fault injected');
      switch (params.kind) {
        case 'crash':
          process.exit(70);
          break;
        case 'kill':
          process.kill(process.pid, 'SIGKILL');
          break;
        case 'hang':
          for (;;) {
            // A worker stuck in synchronous code: only a signal ends it.
          }
        case 'ignore-sigterm':
          ignoring = true;
          process.on('SIGTERM', () => log().warn('test fault: SIGTERM ignored'));
          setInterval(() => {}, 60_000);
          answer({ fault: 'ignore-sigterm' });
          break;
        case 'sleep':
          setTimeout(() => answer({ slept: params.ms ?? 0 }), params.ms ?? 0);
          break;
        default:
          reply({
            jsonrpc: '2.0',
            id: message.id,
            error: { code: -32602, message: `unknown test fault ${String(params.kind)}` },
          });
      }
      return true;
    },
  };
}
