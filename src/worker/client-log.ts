import type { LoggingLevel, McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../shared/logger.js';

const FORWARDED = [
  ['debug', 'debug'],
  ['info', 'info'],
  ['warn', 'warning'],
  ['error', 'error'],
] as const satisfies readonly (readonly [string, LoggingLevel])[];

/** MCP log levels, least severe first (the spec's syslog order). */
const SEVERITY: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** What a client receives before it asks for a level: warnings and errors only. */
export const DEFAULT_CLIENT_LOG_LEVEL: LoggingLevel = 'warning';

/**
 * The level each client asked for with `logging/setLevel`, per MCP server instance. The SDK keeps
 * its own but sends everything until a level is set, and offers no way to read it; `track()`
 * answers `logging/setLevel` itself. Log notifications to clients go through
 * {@link clientTappedLogger} only (not `ctx.mcpReq.log`, which would not see this level).
 */
export class ClientLogLevels {
  readonly #levels = new WeakMap<McpServer, LoggingLevel>();

  /** Takes over `logging/setLevel` on `server` (call once, right after creating it). */
  track(server: McpServer): void {
    server.server.setRequestHandler('logging/setLevel', (request) => {
      this.#levels.set(server, request.params.level);
      return {};
    });
  }

  /** True when `server`'s client asked for `level` or less severe (before asking: warning). */
  wants(server: McpServer, level: LoggingLevel): boolean {
    const threshold = this.#levels.get(server) ?? DEFAULT_CLIENT_LOG_LEVEL;
    return SEVERITY.indexOf(level) >= SEVERITY.indexOf(threshold);
  }
}

/**
 * A child logger whose debug/info/warn/error lines also go to this client's MCP servers as log
 * notifications, each at or above the level that client asked for (see {@link ClientLogLevels}),
 * whatever LOG_LEVEL lets through to stderr: the two audiences choose separately.
 * Used for the policy's audit lines and the D-Bus connection events of this client.
 */
export function clientTappedLogger(
  log: Logger,
  component: string,
  servers: () => Iterable<McpServer>,
  levels: ClientLogLevels,
): Logger {
  const child = log.child({ component });
  for (const [pinoLevel, mcpLevel] of FORWARDED) {
    // pino makes a disabled level a no-op; the wrapper below still runs, for the clients.
    const original = child[pinoLevel].bind(child) as (...args: unknown[]) => void;
    // pino has no per-child stream hook; shadowing the level method on this one child is contained.
    (child as unknown as Record<string, unknown>)[pinoLevel] = (...args: unknown[]) => {
      original(...args);
      const [first, second] = args;
      let data: unknown;
      for (const server of servers()) {
        if (!server.isConnected() || !levels.wants(server, mcpLevel)) continue;
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
