#!/usr/bin/env node
import { runCli } from './cli/run.js';
import { errorMessage } from './shared/errors.js';

// The `dbus-mcp` program (src/cli/run.ts does the work; the worker snapshot runs the same code).
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
