import { errorMessage } from '../shared/errors.js';
import { runCli } from './run.js';

// The `dbus-mcp` command line, imported by the program's entry (src/cli.ts); src/cli/run.ts does
// the work, and the worker snapshot runs the same code.
runCli(process.argv.slice(2)).then(
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
