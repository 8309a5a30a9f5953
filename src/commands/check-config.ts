import type { ConfigKey } from '../shared/config.js';
import { CONFIG_KEYS, describeOrigin } from '../shared/config.js';
import type { CommandContext } from './context.js';

/** `dbus-mcp check-config`: the effective configuration, where each value came from, and warnings. */
export async function runCheckConfig(ctx: CommandContext): Promise<number> {
  const { config, origins, files, warnings } = ctx.loaded;
  const keys = Object.keys(CONFIG_KEYS) as ConfigKey[];
  if (ctx.args.includes('--json')) {
    const entries = keys.map((key) => ({ key, value: config[key] ?? null, origin: origins[key] }));
    process.stdout.write(`${JSON.stringify({ files, warnings, config: entries }, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [`# files read: ${files.length ? files.join(', ') : '(none)'}`];
  for (const w of warnings) out.push(`# warning: ${w}`);
  for (const key of keys) {
    const value = config[key];
    out.push(
      `${key}=${JSON.stringify(value === undefined ? '' : String(value))}  # ${describeOrigin(origins[key])}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
