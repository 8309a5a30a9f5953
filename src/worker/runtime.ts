import { McpServer } from '@modelcontextprotocol/server';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { programVersion } from '../shared/version.js';
import { ClientLogLevels, clientTappedLogger } from './client-log.js';
import type { WorkerDeps } from './deps.js';
import { Gate } from './gate/gate.js';
import type { ToolMap } from './mcp/tool-descriptions.js';
import { describeLevelOnTools } from './mcp/tool-descriptions.js';
import type { PolicyState, ServiceRate } from './policy/index.js';
import { PolicyEngine, loadRules } from './policy/index.js';
import { registerPrompts } from './prompts/index.js';
import { registerResources } from './resources/bus.js';
import { registerSignalResources } from './resources/signals.js';
import { SignalHub } from './signals/hub.js';
import { registerTools } from './tools/index.js';

export const SERVER_NAME = 'dbus-mcp';

export interface WorkerRuntimeOptions {
  config: Config;
  log: Logger;
  clientId: string;
  env?: NodeJS.ProcessEnv;
  /** Rate-limit state kept by the supervisor across worker restarts. */
  policyState?: PolicyState;
  onPolicyStateChange?: (state: PolicyState) => void;
  /** The supervisor's service-wide rate limit; absent in direct mode (the process is its own service). */
  serviceRate?: ServiceRate;
}

export interface WorkerRuntime {
  /** Makes the MCP server for this client (serveStdio pins one instance per connection). */
  factory: () => McpServer;
  /** The tools registered on a server this runtime made (the SDK's handles, by name). */
  toolsOf(server: McpServer): ToolMap;
  /** Applies a reloaded configuration: safety level, rules, limits; tells clients the tools changed. */
  updateConfig(config: Config): void;
  /**
   * Opens the session bus connection in the background, so the client's first call does not wait
   * for the connect and handshake (bench/README.md, "Crash recovery"). A failure is ignored here:
   * the first call that needs the bus connects again and reports it.
   */
  connectAhead(): void;
  close(): Promise<void>;
}

function instructions(level: string): string {
  return [
    'dbus-mcp gives typed access to Linux D-Bus (session and system bus).',
    `Current safety level: ${level}. Call show_help for what this level allows and how to change it;`,
    'explain_policy tells in advance whether an operation would be allowed.',
    'Start with discover (what this machine offers, by capability, with the tool for each) or',
    'list_services, then introspect a service path to see its interfaces, methods (with D-Bus types),',
    'properties and children, or list_objects for the whole tree. Read with get_property /',
    'get_all_properties; act with call_method / set_property or the task tools (notify, media_control,',
    'status, …); watch with subscribe_signals / read_signals.',
    'Values are JSON typed by D-Bus signatures: 64-bit integers may be strings, variants come back as',
    '{signature, value}, byte arrays as {base64, text?}. Failed calls return isError with the D-Bus error name.',
  ].join(' ');
}

/**
 * Builds everything one client's server needs: the gate (policy engine and the bus connections,
 * opened lazily), the signal hub, the MCP servers. Side-effect free until a tool runs; `close()`
 * ends subscriptions and drops the bus connections.
 */
export function createWorkerRuntime(options: WorkerRuntimeOptions): WorkerRuntime {
  let config = options.config;
  const env = options.env ?? process.env;
  const log = options.log;
  const servers = new Map<McpServer, ToolMap>();
  // Policy decisions and connection events also reach this client as MCP log notifications, at
  // the level it asked for.
  const logLevels = new ClientLogLevels();
  const policy = new PolicyEngine({
    config,
    log: clientTappedLogger(log, 'policy', () => servers.keys(), logLevels),
    clientId: options.clientId,
    rules: loadRules(config, env),
    state: options.policyState,
    onStateChange: options.onPolicyStateChange,
    ...(options.serviceRate ? { serviceRate: options.serviceRate } : {}),
  });
  const gate = new Gate({
    config: () => config,
    log: clientTappedLogger(log, 'dbus', () => servers.keys(), logLevels),
    policy,
  });
  const signals = new SignalHub({ gate, config: () => config, log: log.child({ component: 'signals' }) });
  const deps: WorkerDeps = { config: () => config, log, clientId: options.clientId, env, gate, signals };
  const baseDescriptions = new Map<string, string>();

  return {
    factory: () => {
      const server = new McpServer(
        { name: SERVER_NAME, version: programVersion() },
        {
          capabilities: {
            tools: { listChanged: true },
            resources: { subscribe: true, listChanged: true },
            logging: {},
          },
          instructions: instructions(config.SAFETY_LEVEL),
        },
      );
      logLevels.track(server);
      const tools = registerTools(server, deps);
      registerResources(server, deps);
      registerSignalResources(server, deps);
      registerPrompts(server, deps);
      describeLevelOnTools(tools, config.SAFETY_LEVEL, baseDescriptions);
      servers.set(server, tools);
      return server;
    },
    toolsOf(server) {
      return servers.get(server) ?? {};
    },
    updateConfig(next) {
      const levelChanged = next.SAFETY_LEVEL !== config.SAFETY_LEVEL;
      let rules;
      try {
        rules = loadRules(next, env);
      } catch (err) {
        log.error({ err }, 'policy rules not reloaded; the running configuration stays');
        return;
      }
      config = next;
      policy.setConfig(next, rules);
      log.info({ level: next.SAFETY_LEVEL, levelChanged }, 'configuration applied');
      for (const [server, tools] of servers) {
        // A new level rewrites tool descriptions (each update announces list_changed); new rules alone
        // change what tools may do too, so announce it either way.
        describeLevelOnTools(tools, next.SAFETY_LEVEL, baseDescriptions);
        if (!levelChanged && server.isConnected()) server.sendToolListChanged();
      }
    },
    connectAhead() {
      gate.connectAhead();
    },
    async close() {
      await Promise.allSettled([...servers.keys()].map((s) => s.close()));
      // Subscriptions end (their match rules leave the bus) before the connections close.
      await signals.close();
      await gate.close();
    },
  };
}
