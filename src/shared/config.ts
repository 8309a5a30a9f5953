// Over 300 lines because CONFIG_KEYS (lines ~48-238) is the one table of every key, its schema and its doc text.
import { z } from 'zod';
import type { ConfigOrigin, LoadConfigOptions } from './config-text.js';
import { collectSettings, describeOrigin } from './config-text.js';
import { AppError } from './errors.js';

export type { ConfigFlags, ConfigOrigin, LoadConfigOptions } from './config-text.js';
export {
  defaultConfigFiles,
  describeOrigin,
  expandHome,
  expandValue,
  parseConfigText,
  resolveSocketPath,
} from './config-text.js';

/**
 * Configuration: built-in defaults → system file → user file → `DBUS_MCP_<KEY>` environment →
 * command-line flags, later wins (the chain itself: config-text.ts). Every key has one schema
 * here; the same schemas parse the configuration the supervisor sends a worker (`configTextSchema`).
 */

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A whole number, or '' for "not set" (another key's value then applies). */
const optionalInt = (min: number, max: number) =>
  z.union([z.literal('').transform(() => undefined), int(min, max)]);

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
  MAX_CALL_ARG_BYTES: {
    schema: int(1024, 1 << 30),
    default: String(2 * 1024 * 1024),
    allowed: '1024 to 1073741824',
    doc: "Largest arguments of one operation (a call's args, a property value) as serialized JSON bytes; larger is refused before conversion.",
  },
  MAX_CALL_ARG_ELEMENTS: {
    schema: int(16, 10_000_000),
    default: '65536',
    allowed: '16 to 10000000',
    doc: 'Most array items and object entries (nested, all counted) in the arguments of one operation; more is refused before conversion.',
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
  WORKER_SNAPSHOT: {
    schema: z.enum(['on', 'off']),
    default: 'on',
    allowed: 'on or off',
    doc: 'on: a worker a client waits for starts from a V8 startup snapshot of the worker (built once per Node version and program into the cache directory), several times sooner than one that loads the program; it holds about 9–12 MiB more for its life, so at most one per 8 of MAX_CLIENTS (at least one) is alive at a time. off: every worker loads the program.',
  },
  WORKER_HEARTBEAT_MS: {
    schema: int(100, 600_000),
    default: '5000',
    allowed: '100 to 600000',
    doc: 'A worker that leaves an IPC heartbeat unanswered this long is killed and replaced.',
  },
  WORKER_BOOT_TIMEOUT_MIN_MS: {
    schema: int(1000, 3_600_000),
    default: '15000',
    allowed: '1000 to 3600000',
    doc: 'Floor of the boot deadline: a booting worker that shows no progress this long (or longer, when the machine proved slower) is killed as hung.',
  },
  WORKER_BOOT_TIMEOUT_MAX_MS: {
    schema: int(1000, 3_600_000),
    default: '120000',
    allowed: '1000 to 3600000',
    doc: 'Ceiling of the boot deadline: no worker boot may take longer, progress or not; a client waits at most this long for its first worker.',
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
  RATE_LIMIT_SERVICE_NOTIFY: {
    schema: optionalInt(0, 100_000),
    default: '',
    allowed: 'empty (the RATE_LIMIT_NOTIFY value), 0 (no limit) to 100000',
    doc: 'Notifications per minute for all clients of one `serve` together (reconnecting gains nothing beyond it).',
  },
  RATE_LIMIT_SERVICE_SCREENSHOT: {
    schema: optionalInt(0, 100_000),
    default: '',
    allowed: 'empty (the RATE_LIMIT_SCREENSHOT value), 0 (no limit) to 100000',
    doc: 'Screenshots per minute for all clients of one `serve` together.',
  },
  RATE_LIMIT_SERVICE_MUTATING: {
    schema: optionalInt(0, 100_000),
    default: '',
    allowed: 'empty (the RATE_LIMIT_MUTATING value), 0 (no limit) to 100000',
    doc: 'Calls that change something per minute for all clients of one `serve` together.',
  },
  SCREENSHOT_DIR: {
    schema: z.string(),
    default: '~/.cache/dbus-mcp/screenshots',
    allowed: 'a directory',
    doc: 'Where screenshots are saved: a directory of this user with mode 0700, not a symlink (created so when missing; any other is refused).',
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

export interface LoadedConfig {
  config: Config;
  origins: Record<ConfigKey, ConfigOrigin>;
  files: string[];
  warnings: string[];
}

const isKey = (k: string): k is ConfigKey => Object.hasOwn(CONFIG_KEYS, k);

/**
 * Loads the configuration chain. Throws AppError CONFIG_INVALID (exit 78 at the caller) naming
 * where the bad value came from, the key and what is allowed; unknown keys become warnings.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  return buildConfig(options);
}

/**
 * The chain as far as it can be read, for a server that must stay up to explain a broken file
 * (socket activation): a bad value keeps its key's default, a line that cannot be read is skipped,
 * and the first fault is returned as `error` instead of thrown.
 */
export function loadConfigLenient(options: LoadConfigOptions = {}): {
  loaded: LoadedConfig;
  error: AppError | undefined;
} {
  let error: AppError | undefined;
  const keep = (e: AppError) => {
    error ??= e;
  };
  try {
    return { loaded: buildConfig(options, keep), error };
  } catch (e) {
    // An explicit file that cannot be read: nothing of it applies.
    if (!(e instanceof AppError)) throw e;
    return { loaded: buildConfig({ ...options, configFile: '/dev/null' }, keep), error: e };
  }
}

function buildConfig(options: LoadConfigOptions, onError?: (e: AppError) => void): LoadedConfig {
  const { values, files, warnings } = collectSettings(options, isKey, onError);
  const config = {} as Record<ConfigKey, unknown>;
  const origins = {} as Record<ConfigKey, ConfigOrigin>;
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    const spec: KeySpec = CONFIG_KEYS[key];
    const fallback = options.defaults?.[key] ?? spec.default;
    const setting = values.get(key) ?? { value: fallback, origin: { source: 'default' } as const };
    const result = spec.schema.safeParse(setting.value);
    if (result.success) {
      config[key] = result.data;
      origins[key] = setting.origin;
      continue;
    }
    const error = new AppError(
      'CONFIG_INVALID',
      `${describeOrigin(setting.origin)}: ${key}=${JSON.stringify(setting.value)} is not allowed; expected ${spec.allowed}`,
      { details: { key, origin: setting.origin } },
    );
    if (!onError) throw error;
    onError(error);
    config[key] = spec.schema.parse(fallback);
    origins[key] = { source: 'default' };
  }
  return { config: config as Config, origins, files, warnings };
}

const CONFIG_SHAPE = Object.fromEntries(
  Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, spec.schema]),
) as { [K in ConfigKey]: (typeof CONFIG_KEYS)[K]['schema'] };

/** Parses every key of a `ConfigText` with its own schema, the one the files are checked with. */
export const configTextSchema = z.strictObject(CONFIG_SHAPE);

/** A configuration as text values, one per key: what the supervisor sends a worker over IPC. */
export type ConfigText = z.input<typeof configTextSchema>;

/** The text form of a parsed configuration (`configTextSchema` parses it back to the same values). */
export function configToText(config: Config): ConfigText {
  const keys = Object.keys(CONFIG_KEYS) as ConfigKey[];
  // Each value came out of its key's schema, so its text form goes back in.
  return Object.fromEntries(
    keys.map((key) => [key, config[key] === undefined ? '' : String(config[key])]),
  ) as ConfigText;
}
