import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../shared/config.js';
import { expandHome } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';
import { globToRegExp } from './glob.js';
import type { BusKind } from './levels.js';

export type RuleVerb = 'allow' | 'deny' | 'ask';

/** One operator rule: `VERB BUS DESTINATION PATH INTERFACE MEMBER`, fields are globs (`*` = any run). */
export interface Rule {
  verb: RuleVerb;
  bus: string;
  destination: string;
  path: string;
  interface: string;
  member: string;
  /** `file:line` the rule came from. */
  source: string;
  /** The rule as written (comment removed, whitespace normalised). */
  text: string;
}

/** What a rule is matched against; `names` holds the destination and every name of its owner. */
export interface RuleTarget {
  bus: BusKind;
  names: string[];
  path: string;
  interface: string;
  member: string;
}

const FIELDS = ['BUS', 'DESTINATION', 'PATH', 'INTERFACE', 'MEMBER'] as const;
const FIELD_CHECKS: Record<(typeof FIELDS)[number], { re: RegExp; what: string }> = {
  BUS: { re: /^(session|system|\*)$/, what: 'session, system or *' },
  DESTINATION: { re: /^[A-Za-z0-9_.:*-]+$/, what: 'a bus name glob (letters, digits, _ - . : and *)' },
  PATH: { re: /^(\*|\/[A-Za-z0-9_/*]*)$/, what: 'an object path glob starting with / (or *)' },
  INTERFACE: { re: /^[A-Za-z0-9_.*]+$/, what: 'an interface name glob (letters, digits, _ . and *)' },
  MEMBER: { re: /^[A-Za-z0-9_*]+$/, what: 'a member name glob (letters, digits, _ and *)' },
};

/**
 * Parses one rule file. Blank lines and `#` comments are skipped; omitted trailing fields mean
 * `*`. A line that is not a rule throws POLICY_RULE_INVALID naming `file:line` and what is wrong.
 */
export function parseRules(text: string, file: string): Rule[] {
  const rules: Rule[] = [];
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    const [verb, ...rest] = fields as [string, ...string[]];
    if (verb !== 'allow' && verb !== 'deny' && verb !== 'ask') {
      throw new AppError(
        'POLICY_RULE_INVALID',
        `${where}: unknown verb '${verb}'; expected allow, deny or ask`,
      );
    }
    if (rest.length === 0) {
      throw new AppError(
        'POLICY_RULE_INVALID',
        `${where}: '${verb}' needs at least a BUS (session, system or *)`,
      );
    }
    if (rest.length > FIELDS.length) {
      throw new AppError(
        'POLICY_RULE_INVALID',
        `${where}: too many fields (${fields.length}); expected VERB BUS DESTINATION PATH INTERFACE MEMBER`,
      );
    }
    const values = FIELDS.map((name, j) => {
      const value = rest[j] ?? '*';
      const check = FIELD_CHECKS[name];
      if (!check.re.test(value)) {
        throw new AppError('POLICY_RULE_INVALID', `${where}: ${name} '${value}' is not ${check.what}`);
      }
      return value;
    }) as [string, string, string, string, string];
    const [bus, destination, path, iface, member] = values;
    rules.push({
      verb,
      bus,
      destination,
      path,
      interface: iface,
      member,
      source: where,
      text: [verb, ...values].join(' '),
    });
  });
  return rules;
}

/**
 * Reads `*.rules` from each directory of `config.POLICY_DIRS` (colon-separated, `~` expanded),
 * directories in order, files sorted by name. Missing directories are skipped; an unreadable
 * file or a bad line throws POLICY_RULE_INVALID (start-up stops with exit 78).
 */
export function loadRules(config: Config, env: NodeJS.ProcessEnv = process.env): Rule[] {
  const rules: Rule[] = [];
  for (const dirSpec of config.POLICY_DIRS.split(':')) {
    if (dirSpec.trim() === '') continue;
    const dir = expandHome(dirSpec.trim(), env);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
        continue;
      throw new AppError(
        'POLICY_RULE_INVALID',
        `${dir}: cannot read the policy directory: ${(e as Error).message}`,
      );
    }
    for (const name of entries.filter((n) => n.endsWith('.rules')).sort()) {
      const file = join(dir, name);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new AppError('POLICY_RULE_INVALID', `${file}: cannot read: ${(e as Error).message}`);
      }
      rules.push(...parseRules(text, file));
    }
  }
  return rules;
}

const compiled = new WeakMap<Rule, RegExp[]>();
function regexps(rule: Rule): RegExp[] {
  let res = compiled.get(rule);
  if (!res) {
    res = [rule.bus, rule.destination, rule.path, rule.interface, rule.member].map((g) => globToRegExp(g));
    compiled.set(rule, res);
  }
  return res;
}

export function ruleMatches(rule: Rule, t: RuleTarget): boolean {
  const [bus, dest, path, iface, member] = regexps(rule) as [RegExp, RegExp, RegExp, RegExp, RegExp];
  return (
    bus.test(t.bus) &&
    t.names.some((n) => dest.test(n)) &&
    path.test(t.path) &&
    iface.test(t.interface) &&
    member.test(t.member)
  );
}

export interface RuleMatch {
  deny?: Rule;
  ask?: Rule;
  allow?: Rule;
}

/**
 * The first matching rule of each verb. `targets` are spellings of the operation as judged
 * (for property access: the target interface and property; for a systemd unit method: also
 * the unit's object path); `denyOnly` spellings (the raw Properties call) are checked for deny
 * only, so a deny on either spelling holds and an allow needs the judged one.
 */
export function matchRules(
  rules: readonly Rule[],
  targets: RuleTarget[],
  denyOnly: RuleTarget[] = [],
): RuleMatch {
  const out: RuleMatch = {};
  for (const rule of rules) {
    const hit =
      targets.some((t) => ruleMatches(rule, t)) ||
      (rule.verb === 'deny' && denyOnly.some((t) => ruleMatches(rule, t)));
    if (hit && out[rule.verb] === undefined) out[rule.verb] = rule;
  }
  return out;
}

export function describeRule(rule: Rule): string {
  return `${rule.source}: ${rule.text}`;
}
