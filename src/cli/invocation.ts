import type { Invocation } from '../commands/context.js';
import { errorMessage, exitCodeOf } from '../shared/errors.js';
import type { ParsedArgs } from './args.js';

/** What a command gets from its command line (src/cli/run.ts, and the one-file `connect`). */
export function invocationOf(parsed: ParsedArgs, command: string): Invocation {
  return {
    command,
    args: parsed.args,
    flags: parsed.flags,
    configFile: parsed.configFile,
    env: process.env,
    programPath: process.argv[1] as string,
  };
}

/** Says on stderr that `command` failed (`dbus-mcp COMMAND: why`); returns its exit status. */
export function reportFailure(command: string, e: unknown): number {
  process.stderr.write(`dbus-mcp ${command}: ${errorMessage(e)}\n`);
  return exitCodeOf(e);
}
