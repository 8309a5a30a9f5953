import pino from 'pino';
import type { Logger } from 'pino';
import type { Config } from '../../../../src/shared/config.js';
import { loadConfig } from '../../../../src/shared/config.js';

/** A configuration from defaults plus `DBUS_MCP_<KEY>` overrides; no file on this machine is read. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const env: NodeJS.ProcessEnv = { HOME: '/nonexistent', DBUS_MCP_POLICY_DIRS: '' };
  for (const [k, v] of Object.entries(overrides)) env[`DBUS_MCP_${k}`] = v;
  return loadConfig({ env, configFile: '/dev/null' }).config;
}

/** A pino logger writing parsed JSON lines into an array. */
export function memoryLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'trace' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

export function auditLines(lines: Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((l) => l.audit === 'policy');
}
