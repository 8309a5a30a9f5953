#!/usr/bin/env node
import { createRequire } from 'node:module';
import type { ConfigKey, LoadedConfig } from './shared/config.js';
import { loadConfig } from './shared/config.js';
import { AppError, EXIT_CONFIG, EXIT_USAGE, errorMessage } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import { createLogger } from './shared/logger.js';

/** What every command receives from the entry point. */
export interface CommandContext {
  /** Arguments after the command name, global flags removed. */
  args: string[];
  loaded: LoadedConfig;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** The path of this program, for forking workers of the same build. */
  programPath: string;
}

interface Command {
  summary: string;
  usage: string;
  /** Defaults of this command in place of the keys' own (files, environment and flags still win). */
  defaults?: Partial<Record<ConfigKey, string>>;
  run: (ctx: CommandContext) => Promise<number | void>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'run the supervisor on the Unix socket (what the systemd service runs)',
    usage: `dbus-mcp serve [--socket PATH] [--safety-level LEVEL] [--config FILE] [--log-level LEVEL]

Listens on SOCKET_PATH (default $XDG_RUNTIME_DIR/dbus-mcp.sock), or on the socket systemd
passes (LISTEN_FDS). Each client gets its own worker process. SIGTERM drains and exits 0;
SIGHUP reloads the configuration.`,
    run: async (ctx) => (await import('./supervisor/main.js')).runServe(ctx),
  },
  stdio: {
    summary: 'serve one client on stdin/stdout (direct mode, no supervisor)',
    usage: `dbus-mcp stdio [--safety-level LEVEL] [--config FILE] [--log-level LEVEL]

MCP on stdin/stdout for clients that spawn their servers; logs go to stderr only, at warn
unless LOG_LEVEL says otherwise (hosts show a server's stderr to the user as errors).`,
    // Hosts file every stderr line under "error"; a normal session must print nothing there.
    defaults: { LOG_LEVEL: 'warn' },
    run: async (ctx) => (await import('./worker/direct.js')).runDirect(ctx),
  },
  connect: {
    summary: 'bridge stdin/stdout to the running server socket (instead of socat)',
    usage: `dbus-mcp connect [--socket PATH]

Copies stdin to the server socket and the socket to stdout until either side closes.`,
    run: async (ctx) => (await import('./supervisor/connect.js')).runConnect(ctx),
  },
  status: {
    summary: 'show the running server: pid, uptime, level, clients, spare workers',
    usage: `dbus-mcp status [--socket PATH] [--json]`,
    run: async (ctx) => (await import('./supervisor/status.js')).runStatus(ctx),
  },
  'check-config': {
    summary: 'print the effective configuration and where each value came from',
    usage: `dbus-mcp check-config [--config FILE] [--json]

Exits 78 when a value is not allowed, naming file:line and the key.`,
    run: async (ctx) => (await import('./check-config.js')).runCheckConfig(ctx),
  },
  policy: {
    summary: 'policy tools: `policy explain` shows the decision for an operation',
    usage: `dbus-mcp policy explain --bus session|system --service NAME [--path PATH] [--interface IFACE]
                          [--member NAME] [--operation call|get|set] [--json]`,
    run: async (ctx) => (await import('./worker/policy/explain-cli.js')).runPolicyCommand(ctx),
  },
  worker: {
    summary: '(internal) a worker process, forked by `serve`',
    usage: 'dbus-mcp worker   (started by the supervisor over an IPC channel; not for direct use)',
    run: async (ctx) => (await import('./worker/main.js')).runWorker(ctx),
  },
};

const VALUE_FLAGS: Record<string, ConfigKey | 'config'> = {
  '--safety-level': 'SAFETY_LEVEL',
  '--socket': 'SOCKET_PATH',
  '--log-level': 'LOG_LEVEL',
  '--config': 'config',
};

function version(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return process.env.DBUS_MCP_VERSION ?? 'unknown';
  }
}

function mainHelp(): string {
  const lines = Object.entries(COMMANDS)
    .filter(([name]) => name !== 'worker')
    .map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`);
  return `dbus-mcp ${version()} — MCP server for safe, typed access to Linux D-Bus

Usage: dbus-mcp <command> [options]

Commands:
${lines.join('\n')}

Global options:
  --safety-level LEVEL   high | medium | low (SAFETY_LEVEL)
  --socket PATH          socket path (SOCKET_PATH)
  --config FILE          read FILE instead of /etc/dbus-mcp/config and ~/.config/dbus-mcp/config
  --log-level LEVEL      trace | debug | info | warn | error | fatal | silent
  --version              print the version
  --help                 this text, or \`dbus-mcp <command> --help\`
`;
}

interface ParsedArgs {
  command: string | undefined;
  args: string[];
  flags: Partial<Record<ConfigKey, { value: string; flag: string }>>;
  configFile: string | undefined;
  help: boolean;
  version: boolean;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const parsed: ParsedArgs = {
    command: undefined,
    args: [],
    flags: {},
    configFile: undefined,
    help: false,
    version: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const target = VALUE_FLAGS[name];
    if (target) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new AppError('USAGE', `${name} needs a value`);
      if (target === 'config') parsed.configFile = value;
      else parsed.flags[target] = { value, flag: name };
    } else if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--version' || arg === '-V') parsed.version = true;
    else if (parsed.command === undefined && !arg.startsWith('-')) parsed.command = arg;
    else parsed.args.push(arg);
  }
  return parsed;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`dbus-mcp: ${errorMessage(e)}\n`);
    return EXIT_USAGE;
  }
  if (parsed.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = parsed.command ? COMMANDS[parsed.command] : undefined;
  if (parsed.help || !parsed.command) {
    process.stdout.write(command ? `${command.usage}\n` : mainHelp());
    return parsed.command && !command ? EXIT_USAGE : parsed.help ? 0 : EXIT_USAGE;
  }
  if (!command) {
    process.stderr.write(`dbus-mcp: unknown command '${parsed.command}'; see dbus-mcp --help\n`);
    return EXIT_USAGE;
  }

  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({
      env: process.env,
      flags: parsed.flags,
      configFile: parsed.configFile,
      defaults: command.defaults,
    });
  } catch (e) {
    process.stderr.write(`dbus-mcp: configuration error: ${errorMessage(e)}\n`);
    return EXIT_CONFIG;
  }
  const log = createLogger({ level: loaded.config.LOG_LEVEL, name: parsed.command });
  for (const warning of loaded.warnings) log.warn({ warning }, 'config warning');

  try {
    const code = await command.run({
      args: parsed.args,
      loaded,
      log,
      env: process.env,
      programPath: process.argv[1] as string,
    });
    return code ?? 0;
  } catch (e) {
    if (e instanceof AppError) {
      process.stderr.write(`dbus-mcp ${parsed.command}: ${e.message}\n`);
      if (e.code === 'CONFIG_INVALID' || e.code === 'POLICY_RULE_INVALID' || e.code === 'CONFIG_UNREADABLE') {
        return EXIT_CONFIG;
      }
      return e.code === 'USAGE' ? EXIT_USAGE : 1;
    }
    log.fatal({ err: e }, 'unexpected failure');
    process.stderr.write(`dbus-mcp ${parsed.command}: ${errorMessage(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands (serve, stdio, connect, worker) keep the loop alive themselves and
    // resolve only when done; set the exit code and let pending writes drain.
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dbus-mcp: ${errorMessage(e)}\n`);
    process.exitCode = 1;
  },
);
