import { parseArgs } from './args.js';
import type { ParsedArgs } from './args.js';
import { commandFor, mainHelp } from './commands.js';
import { invocationOf, reportFailure } from './invocation.js';
import type { CommandContext } from '../commands/context.js';
import { AppError, EXIT_USAGE, errorMessage, exitCodeOf } from '../shared/errors.js';

/**
 * The `dbus-mcp` command line: parses the command line, then imports the one command module it
 * runs (and the configuration and logger only for commands that read them). Exit codes come
 * from the error catalogue (78 configuration, 64 usage, else 1).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`dbus-mcp: ${errorMessage(e)}\n`);
    return exitCodeOf(e);
  }
  // The version is imported only where it is shown: `connect` loads as little as it can.
  const version = async () => (await import('../shared/version.js')).programVersion();
  if (parsed.version) {
    process.stdout.write(`${await version()}\n`);
    return 0;
  }
  const command = commandFor(parsed.command);
  if (parsed.help || !parsed.command) {
    process.stdout.write(command ? `${command.usage}\n` : mainHelp(await version()));
    return parsed.help && (command || !parsed.command) ? 0 : EXIT_USAGE;
  }
  if (!command) {
    process.stderr.write(`dbus-mcp: unknown command '${parsed.command}'; see dbus-mcp --help\n`);
    return EXIT_USAGE;
  }

  const invocation = invocationOf(parsed, parsed.command);
  let ctx: CommandContext | undefined;
  try {
    if (command.context === 'bare') return (await (await command.load())(invocation)) ?? 0;
    const { createContext } = await import('../commands/context.js');
    const made = createContext(invocation, {
      tolerant: command.context === 'tolerant',
      ...(command.defaults ? { defaults: command.defaults } : {}),
    });
    if ('exit' in made) return made.exit;
    ctx = made.ctx;
    return (await (await command.load())(ctx)) ?? 0;
  } catch (e) {
    if (!(e instanceof AppError)) ctx?.log.fatal({ err: e }, 'unexpected failure');
    return reportFailure(parsed.command, e);
  }
}
