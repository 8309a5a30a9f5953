import type { LoggingLevel, McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../shared/logger.js';

const FORWARDED = [
  ['info', 'info'],
  ['warn', 'warning'],
  ['error', 'error'],
] as const satisfies readonly (readonly [string, LoggingLevel])[];

/**
 * A child logger whose info/warn/error lines also go to this client's MCP servers as log
 * notifications (the SDK drops those below the level the client set with logging/setLevel).
 * Used for the policy's audit lines and the D-Bus connection events of this client.
 */
export function clientTappedLogger(
  log: Logger,
  component: string,
  servers: () => Iterable<McpServer>,
): Logger {
  const child = log.child({ component });
  for (const [pinoLevel, mcpLevel] of FORWARDED) {
    const original = child[pinoLevel].bind(child) as (...args: unknown[]) => void;
    // pino has no per-child stream hook; shadowing the level method on this one child is contained.
    (child as unknown as Record<string, unknown>)[pinoLevel] = (...args: unknown[]) => {
      original(...args);
      if (!child.isLevelEnabled(pinoLevel)) return;
      const [first, second] = args;
      let data: unknown;
      for (const server of servers()) {
        if (!server.isConnected()) continue;
        // Converted once, and only when some client is there to receive it.
        data ??= jsonSafe(
          typeof first === 'object' && first !== null
            ? { msg: typeof second === 'string' ? second : undefined, ...(first as Record<string, unknown>) }
            : { msg: first },
        );
        server
          .sendLoggingMessage({ level: mcpLevel, logger: `dbus-mcp.${component}`, data })
          .catch(() => undefined);
      }
    };
  }
  return child;
}

function jsonSafe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Error ? { name: v.name, message: v.message } : v,
    ),
  );
}
