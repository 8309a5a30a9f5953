import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from './errors.js';

/**
 * Configuration: built-in defaults → system file → user file → `DBUS_MCP_<KEY>` environment →
 * command-line flags, later wins. `--config FILE` (or `DBUS_MCP_CONFIG=FILE`) reads FILE instead
 * of the two default files. Files are shell style (`KEY="value"`, `#` comments).
 */

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const absolutePath = z.string().regex(/^\//, 'an absolute path');
const optionalString = z.string().transform((s) => (s === '' ? undefined : s));

export const SAFETY_LEVELS = ['high', 'medium', 'low'] as const;
export type SafetyLevel = (typeof SAFETY_LEVELS)[number];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

interface KeySpec {
  schema: z.ZodType<unknown, string>;
  default: string;
  allowed: string;
  doc: string;
}

/** Every key the program reads. `allowed` is what an error message shows the operator. */
export const CONFIG_KEYS = {
  SAFETY_LEVEL: {
    schema: z.enum(SAFETY_LEVELS),
    default: 'high',
    allowed: 'high, medium or low',
    doc: 'What agents may do: high = read + notify + media, medium = + desktop actions and session writes, low = + any session call.',
  },
  SOCKET_PATH: {
    schema: z.union([z.literal('').transform(() => undefined), absolutePath]),
    default: '',
    allowed: 'an absolute path',
    doc: 'Socket `serve` binds when not socket-activated, and `connect`/`status` use. Empty: $XDG_RUNTIME_DIR/dbus-mcp.sock.',
  },
  MAX_CLIENTS: { schema: int(1, 1024), default: '16', allowed: '1 to 1024', doc: 'Clients served at once.' },
  CALL_TIMEOUT_MS: {
    schema: int(1, 600_000),
    default: '10000',
    allowed: '1 to 600000',
    doc: 'Default timeout of one D-Bus call.',
  },
  MAX_CALL_TIMEOUT_MS: {
    schema: int(1, 3_600_000),
    default: '120000',
    allowed: '1 to 3600000',
    doc: 'Upper bound for a per-call `timeout_ms` override.',
  },
  MAX_MESSAGE_BYTES: {
    schema: int(1024, 1 << 30),
    default: String(4 * 1024 * 1024),
    allowed: '1024 to 1073741824',
    doc: 'Longest JSON-RPC line a client may send.',
  },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS),
    default: 'info',
    allowed: LOG_LEVELS.join(', '),
    doc: "Log threshold on stderr (pino levels). `dbus-mcp stdio` defaults to warn: MCP hosts show a server's stderr to the user.",
  },
  SPARE_WORKERS: {
    schema: int(0, 16),
    default: '1',
    allowed: '0 to 16',
    doc: 'Workers forked ahead of clients.',
  },
  WORKER_MAX_MEMORY_MB: {
    schema: int(32, 8192),
    default: '128',
    allowed: '32 to 8192',
    doc: 'V8 old-space cap of each worker (--max-old-space-size).',
  },
  WORKER_HEARTBEAT_MS: {
    schema: int(100, 600_000),
    default: '5000',
    allowed: '100 to 600000',
    doc: 'A worker that leaves an IPC heartbeat unanswered this long is killed and replaced.',
  },
  MAX_CONCURRENT_CALLS: {
    schema: int(1, 256),
    default: '8',
    allowed: '1 to 256',
    doc: 'D-Bus calls one worker runs at once; more wait in a queue.',
  },
  SESSION_BUS_ADDRESS: {
    schema: optionalString,
    default: '',
    allowed: 'a D-Bus address',
    doc: 'Session bus address. Empty: $DBUS_SESSION_BUS_ADDRESS, else unix:path=$XDG_RUNTIME_DIR/bus.',
  },
  SYSTEM_BUS_ADDRESS: {
    schema: optionalString,
    default: '',
    allowed: 'a D-Bus address',
    doc: 'System bus address. Empty: $DBUS_SYSTEM_BUS_ADDRESS, else unix:path=/run/dbus/system_bus_socket.',
  },
  POLICY_DIRS: {
    schema: z.string(),
    default: '/etc/dbus-mcp/policy.d:~/.config/dbus-mcp/policy.d',
    allowed: 'colon-separated directories',
    doc: 'Where `*.rules` policy files are read from, in order.',
  },
  ASK_KINDS: {
    schema: z.string(),
    default: '',
    allowed: 'comma-separated operation kinds',
    doc: 'Operation kinds that need a human confirmation (MCP elicitation) before they run.',
  },
  CONFIRM_TIMEOUT_MS: {
    schema: int(1000, 3_600_000),
    default: '60000',
    allowed: '1000 to 3600000',
    doc: 'How long a confirmation may wait for the human before it counts as declined.',
  },
  RATE_LIMIT_NOTIFY: {
    schema: int(0, 100_000),
    default: '30',
    allowed: '0 (no limit) to 100000',
    doc: 'Notifications per client per minute.',
  },
  RATE_LIMIT_SCREENSHOT: {
    schema: int(0, 100_000),
    default: '6',
    allowed: '0 (no limit) to 100000',
    doc: 'Screenshots per client per minute.',
  },
  RATE_LIMIT_MUTATING: {
    schema: int(0, 100_000),
    default: '120',
    allowed: '0 (no limit) to 100000',
    doc: 'Calls that change something (method calls, property writes, desktop actions) per client per minute.',
  },
  SCREENSHOT_DIR: {
    schema: z.string(),
    default: '~/.cache/dbus-mcp/screenshots',
    allowed: 'a directory',
    doc: 'Where screenshots are saved (mode 0700).',
  },
  SCREENSHOT_MAX_FILES: {
    schema: int(1, 10_000),
    default: '50',
    allowed: '1 to 10000',
    doc: 'Screenshots kept.',
  },
  SCREENSHOT_MAX_AGE_DAYS: {
    schema: int(1, 3650),
    default: '7',
    allowed: '1 to 3650',
    doc: 'Screenshots older than this are pruned.',
  },
  SIGNAL_BUFFER_SIZE: {
    schema: int(1, 100_000),
    default: '1000',
    allowed: '1 to 100000',
    doc: 'Signals buffered per subscription; older ones are dropped and counted.',
  },
  MAX_SUBSCRIPTIONS: {
    schema: int(1, 10_000),
    default: '64',
    allowed: '1 to 10000',
    doc: 'Signal subscriptions per client.',
  },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export type Config = { [K in ConfigKey]: z.output<(typeof CONFIG_KEYS)[K]['schema']> };

export type ConfigOrigin =
  | { source: 'default' }
  | { source: 'file'; file: string; line: number }
  | { source: 'env'; variable: string }
  | { source: 'flag'; flag: string };

export interface LoadedConfig {
  config: Config;
  origins: Record<ConfigKey, ConfigOrigin>;
  files: string[];
  warnings: string[];
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, keyed by config key, with the flag that set them. */
  flags?: Partial<Record<ConfigKey, { value: string; flag: string }>>;
  /** A file to read instead of the default system and user files. */
  configFile?: string;
  /**
   * Built-in defaults of the command being run, in place of the keys' own (`stdio` logs at warn).
   * Every file, variable and flag still wins over them; their origin stays `default`.
   */
  defaults?: Partial<Record<ConfigKey, string>>;
}

const isKey = (k: string): k is ConfigKey => Object.hasOwn(CONFIG_KEYS, k);

/** The default files, system-wide first. */
export function defaultConfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return ['/etc/dbus-mcp/config', join(configHome, 'dbus-mcp', 'config')];
}

/** Expands `~/` and `$VAR`/`${VAR}` the way the shell would when the file is sourced. */
export function expandValue(raw: string, env: NodeJS.ProcessEnv): string {
  const withVars = raw.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, a, b) => {
    return env[(a ?? b) as string] ?? '';
  });
  return withVars.startsWith('~/') ? join(env.HOME || homedir(), withVars.slice(2)) : withVars;
}

interface FileEntry {
  key: string;
  value: string;
  line: number;
}

/** Parses shell-style `KEY=value` lines. Throws CONFIG_INVALID with file:line for lines it cannot read. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): FileEntry[] {
  const entries: FileEntry[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      throw new AppError(
        'CONFIG_INVALID',
        `${file}:${i + 1}: expected KEY="value", got ${JSON.stringify(line)}`,
      );
    }
    const key = m[1] as string;
    let rest = (m[2] as string).trim();
    let value: string;
    if (rest.startsWith('"')) {
      const end = findClosingQuote(rest);
      if (end < 0)
        throw new AppError('CONFIG_INVALID', `${file}:${i + 1}: ${key}: unterminated double quote`);
      value = expandValue(rest.slice(1, end).replace(/\\(["\\$`])/g, '$1'), env);
      rest = rest.slice(end + 1).trim();
    } else if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0)
        throw new AppError('CONFIG_INVALID', `${file}:${i + 1}: ${key}: unterminated single quote`);
      value = rest.slice(1, end);
      rest = rest.slice(end + 1).trim();
    } else {
      const hash = rest.search(/\s#/);
      value = expandValue((hash >= 0 ? rest.slice(0, hash) : rest).trim(), env);
      rest = '';
    }
    if (rest !== '' && !rest.startsWith('#')) {
      throw new AppError(
        'CONFIG_INVALID',
        `${file}:${i + 1}: ${key}: unexpected text after the value: ${rest}`,
      );
    }
    entries.push({ key, value, line: i + 1 });
  });
  return entries;
}

function findClosingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

function describeOrigin(o: ConfigOrigin): string {
  switch (o.source) {
    case 'default':
      return 'default';
    case 'file':
      return `${o.file}:${o.line}`;
    case 'env':
      return `environment ${o.variable}`;
    case 'flag':
      return `flag ${o.flag}`;
  }
}

export { describeOrigin };

/**
 * Loads the configuration chain. Throws AppError CONFIG_INVALID (exit 78 at the caller) naming
 * where the bad value came from, the key and what is allowed; unknown keys become warnings.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const raw = {} as Record<ConfigKey, string>;
  const origins = {} as Record<ConfigKey, ConfigOrigin>;
  const warnings: string[] = [];
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    raw[key] = options.defaults?.[key] ?? CONFIG_KEYS[key].default;
    origins[key] = { source: 'default' };
  }

  const explicit = options.configFile ?? (env.DBUS_MCP_CONFIG || undefined);
  const files = explicit ? [explicit] : defaultConfigFiles(env);
  const readFiles: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (explicit)
        throw new AppError('CONFIG_UNREADABLE', `cannot read config file ${file}: ${(e as Error).message}`);
      continue;
    }
    readFiles.push(file);
    for (const entry of parseConfigText(text, file, env)) {
      if (!isKey(entry.key)) {
        warnings.push(`${file}:${entry.line}: unknown key ${entry.key} ignored`);
        continue;
      }
      raw[entry.key] = entry.value;
      origins[entry.key] = { source: 'file', file, line: entry.line };
    }
  }

  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith('DBUS_MCP_') || variable === 'DBUS_MCP_CONFIG' || value === undefined) continue;
    const key = variable.slice('DBUS_MCP_'.length);
    if (!isKey(key)) {
      warnings.push(`environment ${variable}: unknown key ${key} ignored`);
      continue;
    }
    raw[key] = value;
    origins[key] = { source: 'env', variable };
  }

  for (const [key, flag] of Object.entries(options.flags ?? {})) {
    if (!flag || !isKey(key)) continue;
    raw[key] = flag.value;
    origins[key] = { source: 'flag', flag: flag.flag };
  }

  const config = {} as Record<ConfigKey, unknown>;
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    const spec: KeySpec = CONFIG_KEYS[key];
    const result = spec.schema.safeParse(raw[key]);
    if (!result.success) {
      throw new AppError(
        'CONFIG_INVALID',
        `${describeOrigin(origins[key])}: ${key}=${JSON.stringify(raw[key])} is not allowed; expected ${spec.allowed}`,
        { details: { key, origin: origins[key] } },
      );
    }
    config[key] = result.data;
  }
  return { config: config as Config, origins, files: readFiles, warnings };
}

/** The socket path a command should use: SOCKET_PATH, else $XDG_RUNTIME_DIR/dbus-mcp.sock. */
export function resolveSocketPath(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  if (config.SOCKET_PATH) return config.SOCKET_PATH;
  if (!env.XDG_RUNTIME_DIR) {
    throw new AppError(
      'SOCKET_PATH_MISSING',
      'no socket path: set SOCKET_PATH (config, DBUS_MCP_SOCKET_PATH or --socket) or XDG_RUNTIME_DIR',
    );
  }
  return join(env.XDG_RUNTIME_DIR, 'dbus-mcp.sock');
}

/** Expands `~/` in a path-valued key. */
export function expandHome(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(2)) : path;
}
