import type { SafetyLevel } from '../../shared/config.js';
import type { ClassificationSource } from './classify.js';
import { classify } from './classify.js';
import { globalForbiddenReason } from './floor.js';
import { askSystemd } from './units-resolve.js';
import { unitRulePaths } from './units.js';
import type { OperationKind } from './levels.js';
import { levelAllows, lowestLevelAllowing } from './levels.js';
import type { OperationRequest, PolicyConnection, PrepareMessage, ResolvedOperation } from './resolve.js';
import { resolveOperation } from './resolve.js';
import { toolOnlyReason } from './tool-only.js';
import type { Rule, RuleTarget } from './rules.js';
import { describeRule, matchRules } from './rules.js';

export const FORBIDDEN_HINT = 'forbidden at every level: no safety level or operator rule can allow it';

/** The policy's verdict before rate limits and confirmation. */
export interface Decision {
  verdict: 'allow' | 'deny' | 'ask';
  kind: OperationKind;
  reason: string;
  rule?: Rule;
  hint?: string;
  /** Set when resolution succeeded. */
  op?: ResolvedOperation;
  names: string[];
  owner?: string;
  classifiedBy?: ClassificationSource | 'declared';
  /** True when the ask comes from ASK_KINDS rather than a rule. */
  askedByKind?: boolean;
  /** Why the message could not be prepared (arguments that do not convert): reported unless refused. */
  prepareError?: unknown;
}

export interface DecideOptions {
  level: SafetyLevel;
  rules: readonly Rule[];
  askKinds: ReadonlySet<OperationKind>;
  /** Static explanation: no arguments are known. */
  explaining?: boolean;
  signal?: AbortSignal;
  /** Builds the message to send (typed arguments) once the operation is resolved, before it is judged. */
  prepare?: PrepareMessage;
}

function suggestRule(op: ResolvedOperation, unitPath: string | undefined): string {
  const name = op.names.find((n) => n !== '' && !n.startsWith(':')) ?? op.destination;
  if (unitPath) return `allow ${op.bus} ${name} ${unitPath}`;
  return `allow ${op.bus} ${name} ${op.path} ${op.interface || '*'} ${op.member || '*'}`;
}

/**
 * Resolves and judges one operation: resolution → the message to send (`prepare`: typed arguments)
 * → classification (a declared kind counts unless the computed one is forbidden) → the forbidden
 * floor → operator rules (deny > ask > allow) → the level → ASK_KINDS. Pure apart from the bus
 * look-ups resolution and preparation need. A message that cannot be prepared does not stop the
 * judgement: a refusal is still a refusal; otherwise `prepareError` says why it cannot be sent.
 */
export async function decide(
  req: OperationRequest,
  conn: PolicyConnection | undefined,
  o: DecideOptions,
): Promise<Decision> {
  let op: ResolvedOperation;
  let kind: OperationKind;
  let reason: string;
  let classifiedBy: Decision['classifiedBy'];
  let prepareError: unknown;
  if (req.destination === '') {
    if (!req.kind)
      return { verdict: 'deny', kind: 'call', reason: 'no destination and no declared kind', names: [] };
    op = { ...req, interface: req.interface ?? '', names: [''] };
    kind = req.kind;
    reason = `${req.kind} operation`;
    classifiedBy = 'declared';
  } else {
    const res = await resolveOperation(req, conn, o.signal);
    if (!res.ok) {
      const floor = globalForbiddenReason(req.member);
      const forbidden = floor !== undefined;
      return {
        verdict: 'deny',
        kind: forbidden ? 'forbidden' : (req.kind ?? 'call'),
        reason: forbidden ? `${req.member}: ${floor}` : res.reason,
        hint: forbidden ? FORBIDDEN_HINT : res.hint,
        names: res.names,
        owner: res.owner,
        classifiedBy: forbidden ? 'floor' : undefined,
      };
    }
    op = res.op;
    if (o.prepare) {
      try {
        op.message = await o.prepare(op);
      } catch (e) {
        prepareError = e;
      }
    }
    // A systemd call is judged by the units the manager says it would act on.
    if (conn) op.systemd = await askSystemd(op, conn, o.signal);
    const c = classify({ ...op, withoutArgs: o.explaining && op.args === undefined });
    reason = op.interfaceFrom ? `${c.reason} (interface found by introspection)` : c.reason;
    if (op.raw) reason = `${reason} (called as ${op.raw.interface}.${op.raw.member})`;
    kind = c.kind === 'forbidden' || !req.kind ? c.kind : req.kind;
    classifiedBy = c.kind === 'forbidden' || !req.kind ? c.source : 'declared';
    // A generic tool's request (no declared kind) may not send what only a task tool may.
    const toolOnly = req.kind || kind === 'forbidden' ? undefined : toolOnlyReason(op);
    if (toolOnly) {
      kind = 'forbidden';
      reason = toolOnly;
      classifiedBy = 'floor';
    }
  }
  const base = {
    kind,
    op,
    names: op.names,
    owner: op.owner,
    classifiedBy,
    ...(prepareError !== undefined ? { prepareError } : {}),
  };
  if (kind === 'forbidden') return { ...base, verdict: 'deny', reason, hint: FORBIDDEN_HINT };

  const main: RuleTarget = {
    bus: op.bus,
    names: op.names,
    path: op.path,
    interface: op.interface,
    member: op.member,
  };
  // A unit a systemd call changes also matches rules written for its object path (one rule per unit).
  const units = unitRulePaths(op);
  const unitTargets = units.paths.map((path) => ({ ...main, path }));
  const targets = units.single ? [main, ...unitTargets] : [main];
  const unitPath = units.single ? units.paths[0] : undefined;
  const raw = op.raw ? [{ ...main, interface: op.raw.interface, member: op.raw.member }] : [];
  const match = matchRules(o.rules, targets, [...raw, ...(units.single ? [] : unitTargets)]);
  if (match.deny) {
    return {
      ...base,
      verdict: 'deny',
      rule: match.deny,
      reason: `${reason}; refused by operator rule ${describeRule(match.deny)}`,
      hint: `remove or narrow the deny rule at ${match.deny.source}`,
    };
  }
  if (match.ask) {
    return {
      ...base,
      verdict: 'ask',
      rule: match.ask,
      reason: `${reason}; needs confirmation by rule ${describeRule(match.ask)}`,
    };
  }
  const byKind = o.askKinds.has(kind);
  if (match.allow) {
    return {
      ...base,
      verdict: byKind ? 'ask' : 'allow',
      askedByKind: byKind,
      rule: match.allow,
      reason: `${reason}; allowed by operator rule ${describeRule(match.allow)}`,
    };
  }
  if (levelAllows(o.level, op.bus, kind)) {
    return {
      ...base,
      verdict: byKind ? 'ask' : 'allow',
      askedByKind: byKind,
      reason: `${reason}; allowed at level ${o.level}`,
    };
  }
  const lowest = lowestLevelAllowing(op.bus, kind);
  const rule = suggestRule(op, unitPath);
  const systemNote = op.bus === 'system' ? ' (the system bus is read-only at every level)' : '';
  return {
    ...base,
    verdict: 'deny',
    reason: `${reason}; ${kind} is not allowed at level ${o.level}${systemNote}`,
    hint: lowest
      ? `set SAFETY_LEVEL=${lowest}, or add an allow rule to a *.rules file in POLICY_DIRS: ${rule}`
      : `add an allow rule to a *.rules file in POLICY_DIRS: ${rule}`,
  };
}
