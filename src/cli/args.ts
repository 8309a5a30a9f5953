import type { ConfigFlags } from '../shared/config-text.js';
import { AppError } from '../shared/errors.js';

/** Global flags that take a value, and the config key each sets (`config` = the file to read). */
export const VALUE_FLAGS: Readonly<Record<string, string>> = {
  '--safety-level': 'SAFETY_LEVEL',
  '--socket': 'SOCKET_PATH',
  '--log-level': 'LOG_LEVEL',
  '--config': 'config',
};

export interface ParsedArgs {
  command: string | undefined;
  /** Everything that is neither the command nor a global flag, in order. */
  args: string[];
  flags: ConfigFlags;
  configFile: string | undefined;
  help: boolean;
  version: boolean;
}

/**
 * Splits a command line into the command, its own arguments and the global flags (anywhere on
 * the line; `--flag value` and `--flag=value`). Throws USAGE when a value flag has no value.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
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
    const target = Object.hasOwn(VALUE_FLAGS, name) ? VALUE_FLAGS[name] : undefined;
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
