#!/usr/bin/env node
// The `dbus-mcp` program. A host starts `dbus-mcp connect` for every session, so that line runs
// from one CommonJS file, lib/dbus-mcp/connect.cjs (src/commands/connect-main.ts, bundled apart
// by scripts/build.mjs): no graph of ES modules to load before the first byte is relayed
// (bench/README.md, "Start-up", change 23). Everything else runs src/cli/main.ts.
const argv = process.argv.slice(2);
if (!(argv[0] === 'connect' && connectFast(argv))) void import('./cli/main.js');

/** Runs a plain `connect` line from the one-file bridge; false when it is not one, or not built. */
function connectFast(line: readonly string[]): boolean {
  let bridge: { runConnectLine(argv: readonly string[]): boolean };
  try {
    bridge = process.getBuiltinModule('node:module').createRequire(import.meta.url)(
      '../lib/dbus-mcp/connect.cjs',
    );
  } catch (e) {
    // Run from src/ (tsx): there is no bundle, and the full command line serves connect the same way.
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return false;
    throw e;
  }
  return bridge.runConnectLine(line);
}
