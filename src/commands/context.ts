import type { ConfigFlags, LoadedConfig } from '../shared/config.js';
import { loadConfig, loadConfigLenient } from '../shared/config.js';
import { AppError, EXIT_CONFIG, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createLogger } from '../shared/logger.js';

/** The command line as the entry point understood it; all a command that reads no configuration gets. */
export interface Invocation {
  command: string;
  /** Arguments after the command name, global flags removed. */
  args: string[];
  flags: ConfigFlags;
  configFile: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The path of this program, for forking workers of the same build. */
  programPath: string;
}

/** What every command that reads the configuration receives from the entry point. */
export interface CommandContext extends Invocation {
  loaded: LoadedConfig;
  log: Logger;
  /**
   * Only for commands that tolerate a broken configuration (`serve`, `status`): the fault, while
   * `loaded` holds what could be read (bad values at their defaults).
   */
  configError?: AppError;
}

/** Prints a configuration fault the way every command does; returns its exit code (78). */
export function reportConfigError(e: unknown): number {
  process.stderr.write(`dbus-mcp: configuration error: ${errorMessage(e)}\n`);
  return EXIT_CONFIG;
}

/**
 * Loads the configuration and makes the process's root logger. A configuration fault is
 * reported and ends the command (`exit`), unless `tolerant`: then the command gets it as
 * `configError` and decides.
 */
export function createContext(
  invocation: Invocation,
  options: { tolerant: boolean; defaults?: Partial<Record<string, string>> },
): { ctx: CommandContext } | { exit: number } {
  const chain = {
    env: invocation.env,
    flags: invocation.flags,
    configFile: invocation.configFile,
    ...(options.defaults ? { defaults: options.defaults } : {}),
  };
  let loaded: LoadedConfig;
  let configError: AppError | undefined;
  try {
    loaded = loadConfig(chain);
  } catch (e) {
    if (!options.tolerant || !(e instanceof AppError)) return { exit: reportConfigError(e) };
    ({ loaded } = loadConfigLenient(chain));
    configError = e;
  }
  const log = createLogger({ level: loaded.config.LOG_LEVEL, name: invocation.command });
  for (const warning of loaded.warnings) log.warn({ warning }, 'config warning');
  return { ctx: { ...invocation, loaded, log, ...(configError ? { configError } : {}) } };
}
