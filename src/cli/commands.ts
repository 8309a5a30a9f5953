import type { CommandContext, Invocation } from '../commands/context.js';

type Runner<C> = (ctx: C) => Promise<number | void>;

/**
 * One command of the CLI. Its module is imported only when it runs, so `connect` loads the
 * bridge and nothing else. `context` says what it needs: `bare` the command line only; `config`
 * the configuration and a logger (a broken configuration ends it with exit 78); `tolerant` the
 * same, but it gets a broken configuration as `configError` and decides itself.
 */
export type CommandSpec = {
  summary: string;
  usage: string;
  internal?: true;
  /** Defaults of this command in place of the keys' own (files, environment and flags still win). */
  defaults?: Partial<Record<string, string>>;
} & (
  | { context: 'bare'; load: () => Promise<Runner<Invocation>> }
  | { context: 'config' | 'tolerant'; load: () => Promise<Runner<CommandContext>> }
);

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  serve: {
    summary: 'run the supervisor on the Unix socket (what the systemd service runs)',
    usage: `dbus-mcp serve [--socket PATH] [--safety-level LEVEL] [--config FILE] [--log-level LEVEL]

Listens on SOCKET_PATH (default $XDG_RUNTIME_DIR/dbus-mcp.sock), or on the socket systemd
passes (LISTEN_FDS). Each client gets its own worker process. SIGTERM drains and exits 0;
SIGHUP reloads the configuration. A configuration error exits 78, except under socket
activation: then the server stays up and answers every client with the error until the file
is fixed and the service reloaded or restarted.`,
    context: 'tolerant',
    load: async () => (await import('../commands/serve.js')).runServe,
  },
  stdio: {
    summary: 'serve one client on stdin/stdout (direct mode, no supervisor)',
    usage: `dbus-mcp stdio [--safety-level LEVEL] [--config FILE] [--log-level LEVEL]

MCP on stdin/stdout for clients that spawn their servers; logs go to stderr only, at warn
unless LOG_LEVEL says otherwise (hosts show a server's stderr to the user as errors).`,
    // Hosts file every stderr line under "error"; a normal session must print nothing there.
    defaults: { LOG_LEVEL: 'warn' },
    context: 'config',
    load: async () => (await import('../commands/stdio.js')).runStdio,
  },
  connect: {
    summary: 'bridge stdin/stdout to the running server socket (instead of socat)',
    usage: `dbus-mcp connect [--socket PATH]

Copies stdin to the server socket and the socket to stdout until either side closes.`,
    context: 'bare',
    load: async () => (await import('../commands/connect.js')).runConnect,
  },
  status: {
    summary: 'show the running server: pid, uptime, level, clients, spare workers',
    usage: `dbus-mcp status [--socket PATH] [--json]`,
    context: 'tolerant',
    load: async () => (await import('../commands/status.js')).runStatus,
  },
  'check-config': {
    summary: 'print the effective configuration and where each value came from',
    usage: `dbus-mcp check-config [--config FILE] [--json]

Exits 78 when a value is not allowed, naming file:line and the key.`,
    context: 'config',
    load: async () => (await import('../commands/check-config.js')).runCheckConfig,
  },
  policy: {
    summary: 'policy tools: `policy explain` shows the decision for an operation',
    usage: `dbus-mcp policy explain --bus session|system --service NAME [--path PATH] [--interface IFACE]
                          [--member NAME] [--operation call|get|set] [--json]`,
    context: 'config',
    load: async () => (await import('../commands/policy-explain.js')).runPolicyCommand,
  },
  worker: {
    summary: '(internal) a worker process, forked by `serve`',
    usage: 'dbus-mcp worker   (started by the supervisor over an IPC channel; not for direct use)',
    context: 'config',
    internal: true,
    load: async () => (await import('../commands/worker.js')).runWorkerCommand,
  },
};

export function commandFor(name: string | undefined): CommandSpec | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export function mainHelp(version: string): string {
  const lines = Object.entries(COMMANDS)
    .filter(([, c]) => !c.internal)
    .map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`);
  return `dbus-mcp ${version} — MCP server for safe, typed access to Linux D-Bus

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
