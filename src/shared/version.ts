import { createRequire } from 'node:module';

/** Replaced by the build (scripts/build.mjs `define`) with the package version. */
declare const __DBUS_MCP_VERSION__: string | undefined;

/**
 * The program's version, from one source: the version the build stamped into the bundle first;
 * from a checkout (tsx) the package.json next to `src/`. The installed program
 * (/usr/local/bin/dbus-mcp) has no package.json beside it, so the stamp must win.
 */
export function programVersion(): string {
  if (typeof __DBUS_MCP_VERSION__ === 'string') return __DBUS_MCP_VERSION__;
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
