import { AppError } from '../shared/errors.js';
import type { Access, Explanation } from '../worker/policy/index.js';
import { PolicyEngine, loadRules } from '../worker/policy/index.js';
import type { CommandContext } from './context.js';

const USAGE =
  'usage: dbus-mcp policy explain --bus session|system --service NAME [--path PATH] [--interface IFACE] ' +
  '[--member NAME] [--operation call|get|set] [--json]';

interface ExplainArgs {
  bus: 'session' | 'system';
  service: string;
  path: string;
  interface?: string;
  member: string;
  access: Access;
  json: boolean;
}

export function parseExplainArgs(args: string[]): ExplainArgs {
  const [sub, ...rest] = args;
  if (sub !== 'explain')
    throw new AppError('USAGE', sub ? `unknown policy command '${sub}'; ${USAGE}` : USAGE);
  const values: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--json') {
      json = true;
      continue;
    }
    const m = /^--(bus|service|path|interface|member|operation)(?:=(.*))?$/.exec(arg);
    if (!m) throw new AppError('USAGE', `unknown argument '${arg}'; ${USAGE}`);
    const value = m[2] ?? rest[++i];
    if (value === undefined) throw new AppError('USAGE', `--${m[1]} needs a value`);
    values[m[1] as string] = value;
  }
  const bus = values.bus ?? 'session';
  if (bus !== 'session' && bus !== 'system')
    throw new AppError('USAGE', `--bus must be session or system, not '${bus}'`);
  if (!values.service) throw new AppError('USAGE', `--service is required; ${USAGE}`);
  const operation = values.operation ?? 'call';
  if (operation !== 'call' && operation !== 'get' && operation !== 'set') {
    throw new AppError('USAGE', `--operation must be call, get or set, not '${operation}'`);
  }
  if (operation !== 'call' && !values.interface)
    throw new AppError('USAGE', `--operation ${operation} needs --interface`);
  const member = values.member ?? '';
  if (operation === 'call' && member === '')
    throw new AppError('USAGE', `--member is required for --operation call`);
  return {
    bus,
    service: values.service,
    path: values.path ?? '/',
    interface: values.interface,
    member,
    access: operation === 'get' && member === '' ? 'getall' : operation,
    json,
  };
}

export function formatExplanation(e: Explanation): string {
  const levels = Object.entries(e.levels)
    .map(([l, ok]) => `${l}=${ok ? 'allowed' : 'refused'}`)
    .join(' ');
  const lines = [
    `decision: ${e.decision}`,
    `kind:     ${e.kind}`,
    `level:    ${e.level}`,
    `reason:   ${e.reason}`,
    `rule:     ${e.rule ?? '(none)'}`,
    ...(e.hint ? [`hint:     ${e.hint}`] : []),
    `levels:   ${levels} (without rules)`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `dbus-mcp policy explain …`: the decision for one operation under the effective configuration
 * and rule files. Static and deterministic: no bus is contacted, so a unique name matches only
 * itself and a call without --interface is judged on its member name alone. Exit 0 either way.
 */
export async function runPolicyCommand(ctx: CommandContext): Promise<number> {
  const a = parseExplainArgs(ctx.args);
  const config = ctx.loaded.config;
  const engine = new PolicyEngine({
    config,
    log: ctx.log,
    clientId: 'cli',
    rules: loadRules(config, ctx.env),
  });
  const explanation = await engine.explain({
    bus: a.bus,
    destination: a.service,
    path: a.path,
    interface: a.interface,
    member: a.member,
    access: a.access,
  });
  process.stdout.write(a.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
  return 0;
}
