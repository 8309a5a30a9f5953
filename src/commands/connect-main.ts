/**
 * `dbus-mcp connect` as a program of its own: scripts/build.mjs bundles this file (with the
 * argument parser, the socket path's configuration chain and the bridge; nothing else) into one
 * CommonJS file, lib/dbus-mcp/connect.cjs, which the entry (src/cli.ts) requires for a line that
 * starts with `connect`. Node then compiles one small script instead of resolving and linking a
 * graph of five ES modules (bench/README.md, "Start-up", change 23).
 */
import { parseArgs } from '../cli/args.js';
import type { ParsedArgs } from '../cli/args.js';
import { invocationOf, reportFailure } from '../cli/invocation.js';
import { runConnect } from './connect.js';

/**
 * Runs `argv` if it is a plain connect line; returns false, having done nothing, for anything the
 * full command line answers (help, version, a usage error, another command), so that every line
 * gets the same answer either way.
 */
export function runConnectLine(argv: readonly string[]): boolean {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch {
    return false;
  }
  if (parsed.command !== 'connect' || parsed.help || parsed.version) return false;
  runConnect(invocationOf(parsed, 'connect')).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportFailure('connect', e);
    },
  );
  return true;
}
