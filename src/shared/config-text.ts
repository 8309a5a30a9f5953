import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppError } from './errors.js';

/**
 * The configuration chain without its schemas: where settings come from (defaults are the
 * caller's), how the shell-style files are read, and the socket path rule. Nothing here loads zod,
 * so `dbus-mcp connect` can find its socket without loading the rest of the program.
 * Chain, later wins: system file → user file → `DBUS_MCP_<KEY>` environment → command-line flags.
 * `--config FILE` (or `DBUS_MCP_CONFIG=FILE`) reads FILE instead of the two default files.
 */

export type ConfigOrigin =
  | { source: 'default' }
  | { source: 'file'; file: string; line: number }
  | { source: 'env'; variable: string }
  | { source: 'flag'; flag: string };

/** Values from command-line flags, keyed by config key, with the flag that set them. */
export type ConfigFlags = Partial<Record<string, { value: string; flag: string }>>;

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
  /** A file to read instead of the default system and user files. */
  configFile?: string;
  /**
   * Built-in defaults of the command being run, in place of the keys' own (`stdio` logs at warn).
   * Every file, variable and flag still wins over them; their origin stays `default`.
   */
  defaults?: Partial<Record<string, string>>;
}

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

/** Expands `~/` in a path-valued key. */
export function expandHome(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(2)) : path;
}

interface FileEntry {
  key: string;
  value: string;
  line: number;
}

/**
 * Parses shell-style `KEY=value` lines. A line it cannot read throws CONFIG_INVALID with
 * file:line, or, when `onError` is given, is reported there and skipped.
 */
export function parseConfigText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  onError?: (error: AppError) => void,
): FileEntry[] {
  const entries: FileEntry[] = [];
  text.split('\n').forEach((rawLine, i) => {
    try {
      const entry = parseLine(rawLine.trim(), `${file}:${i + 1}`, env);
      if (entry) entries.push({ ...entry, line: i + 1 });
    } catch (e) {
      if (!onError || !(e instanceof AppError)) throw e;
      onError(e);
    }
  });
  return entries;
}

function parseLine(
  line: string,
  where: string,
  env: NodeJS.ProcessEnv,
): { key: string; value: string } | null {
  if (line === '' || line.startsWith('#')) return null;
  const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
  if (!m) throw new AppError('CONFIG_INVALID', `${where}: expected KEY="value", got ${JSON.stringify(line)}`);
  const key = m[1] as string;
  let rest = (m[2] as string).trim();
  let value: string;
  if (rest.startsWith('"')) {
    const end = findClosingQuote(rest);
    if (end < 0) throw new AppError('CONFIG_INVALID', `${where}: ${key}: unterminated double quote`);
    value = expandValue(rest.slice(1, end).replace(/\\(["\\$`])/g, '$1'), env);
    rest = rest.slice(end + 1).trim();
  } else if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    if (end < 0) throw new AppError('CONFIG_INVALID', `${where}: ${key}: unterminated single quote`);
    value = rest.slice(1, end);
    rest = rest.slice(end + 1).trim();
  } else {
    const hash = rest.search(/\s#/);
    value = expandValue((hash >= 0 ? rest.slice(0, hash) : rest).trim(), env);
    rest = '';
  }
  if (rest !== '' && !rest.startsWith('#')) {
    throw new AppError('CONFIG_INVALID', `${where}: ${key}: unexpected text after the value: ${rest}`);
  }
  return { key, value };
}

function findClosingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

export function describeOrigin(o: ConfigOrigin): string {
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

/** The settings the chain names (values not yet validated), the files read and what was ignored. */
export interface CollectedSettings {
  values: Map<string, { value: string; origin: ConfigOrigin }>;
  files: string[];
  warnings: string[];
}

/**
 * Walks the chain for the keys `isKey` accepts (unknown keys become warnings). A file line that
 * cannot be read throws CONFIG_INVALID, or goes to `onError` and is skipped when given; an explicit
 * file that cannot be read throws CONFIG_UNREADABLE either way.
 */
export function collectSettings(
  options: LoadConfigOptions,
  isKey: (key: string) => boolean,
  onError?: (error: AppError) => void,
): CollectedSettings {
  const env = options.env ?? process.env;
  const values: CollectedSettings['values'] = new Map();
  const warnings: string[] = [];
  const explicit = options.configFile ?? (env.DBUS_MCP_CONFIG || undefined);
  const files: string[] = [];
  for (const file of explicit ? [explicit] : defaultConfigFiles(env)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (explicit)
        throw new AppError('CONFIG_UNREADABLE', `cannot read config file ${file}: ${(e as Error).message}`);
      continue;
    }
    files.push(file);
    for (const entry of parseConfigText(text, file, env, onError)) {
      if (!isKey(entry.key)) {
        warnings.push(`${file}:${entry.line}: unknown key ${entry.key} ignored`);
        continue;
      }
      values.set(entry.key, { value: entry.value, origin: { source: 'file', file, line: entry.line } });
    }
  }
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith('DBUS_MCP_') || variable === 'DBUS_MCP_CONFIG' || value === undefined) continue;
    const key = variable.slice('DBUS_MCP_'.length);
    if (!isKey(key)) {
      warnings.push(`environment ${variable}: unknown key ${key} ignored`);
      continue;
    }
    values.set(key, { value, origin: { source: 'env', variable } });
  }
  for (const [key, flag] of Object.entries(options.flags ?? {})) {
    if (!flag || !isKey(key)) continue;
    values.set(key, { value: flag.value, origin: { source: 'flag', flag: flag.flag } });
  }
  return { values, files, warnings };
}

/** The socket path a command should use: SOCKET_PATH, else $XDG_RUNTIME_DIR/dbus-mcp.sock. */
export function resolveSocketPath(
  config: { SOCKET_PATH?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (config.SOCKET_PATH) return config.SOCKET_PATH;
  if (!env.XDG_RUNTIME_DIR) {
    throw new AppError(
      'SOCKET_PATH_MISSING',
      'no socket path: set SOCKET_PATH (config, DBUS_MCP_SOCKET_PATH or --socket) or XDG_RUNTIME_DIR',
    );
  }
  return join(env.XDG_RUNTIME_DIR, 'dbus-mcp.sock');
}

/**
 * SOCKET_PATH alone, through the whole chain, for the bridge: file lines it cannot read are
 * skipped (the server reports a broken file to every client itself), but a SOCKET_PATH that is
 * not absolute stops it with CONFIG_INVALID naming where it came from.
 */
export function socketPathFromChain(options: LoadConfigOptions): string {
  const env = options.env ?? process.env;
  const { values } = collectSettings(
    options,
    (k) => k === 'SOCKET_PATH',
    () => {},
  );
  const setting = values.get('SOCKET_PATH');
  if (setting && setting.value !== '' && !setting.value.startsWith('/')) {
    throw new AppError(
      'CONFIG_INVALID',
      `${describeOrigin(setting.origin)}: SOCKET_PATH=${JSON.stringify(setting.value)} is not allowed; expected an absolute path`,
      { details: { key: 'SOCKET_PATH', origin: setting.origin } },
    );
  }
  return resolveSocketPath({ SOCKET_PATH: setting?.value || undefined }, env);
}
