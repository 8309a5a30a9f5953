import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SAFETY_LEVELS } from '../../../../src/shared/config.js';
import type { SafetyLevel } from '../../../../src/shared/config.js';
import type { OperationKind } from '../../../../src/worker/policy/levels.js';
import { PolicyEngine } from '../../../../src/worker/policy/engine.js';
import type { OperationRequest } from '../../../../src/worker/policy/resolve.js';
import { parseRules } from '../../../../src/worker/policy/rules.js';
import { memoryLogger, testConfig } from './support.js';

/**
 * The red team's harness (docs/SECURITY-REVIEW.md): each attack is one operation a real service on a Linux
 * desktop or server performs, judged by the policy engine the way a tool asks it (static: no bus),
 * at every level, under the operator rule that opens everything, `allow * * * * *` (both buses).
 * The promise of issue 12 is that such an operation is still refused as `forbidden`.
 *
 * An attack that gets through today carries `todo: 'redteam: <class>: <why it matters>'`: its test
 * runs and fails without failing the suite, and the fixer removes the `todo` once it is refused.
 * An attack without `todo` is refused today and guards against a regression.
 */

/** The rule set that opens every bus, destination, path, interface and member. */
export const OPEN_EVERYTHING = 'allow * * * * *';

export interface Attack {
  /** What the operation does in the real world. */
  what: string;
  /** Where the interface and member are found (source file, man page, binary on Debian 12). */
  ref: string;
  req: OperationRequest;
  /** Present while the attack gets through: `redteam: <class>: <why it matters>`. */
  todo?: string;
}

/** A method call request (the shape `call_method` hands the gate). */
export function call(
  bus: OperationRequest['bus'],
  destination: string,
  path: string,
  iface: string | undefined,
  member: string,
  args: unknown[] = [],
): OperationRequest {
  return {
    bus,
    destination,
    path,
    ...(iface !== undefined ? { interface: iface } : {}),
    member,
    access: 'call',
    args,
  };
}

/** A property write request (the shape `set_property` hands the gate). */
export function write(
  bus: OperationRequest['bus'],
  destination: string,
  path: string,
  iface: string,
  property: string,
  value: unknown,
): OperationRequest {
  return { bus, destination, path, interface: iface, member: property, access: 'set', args: [value] };
}

export interface Judgement {
  level: SafetyLevel;
  allowed: boolean;
  code?: string;
  kind: OperationKind;
  reason: string;
}

/** The engine's answer for `req` at `level` with `rules` (no bus: names and interfaces as given). */
export async function judge(
  req: OperationRequest,
  level: SafetyLevel,
  rules = OPEN_EVERYTHING,
): Promise<Judgement> {
  const engine = new PolicyEngine({
    config: testConfig({ SAFETY_LEVEL: level }),
    log: memoryLogger().log,
    clientId: 'redteam',
    rules: parseRules(`${rules}\n`, 'redteam.rules'),
  });
  const auth = await engine.authorize(req);
  auth.finish();
  return { level, allowed: auth.allowed, code: auth.code, kind: auth.kind, reason: auth.reason };
}

function describeReq(req: OperationRequest): string {
  const member = req.access === 'set' ? `${req.member}=` : req.member;
  return `${req.bus} ${req.destination} ${req.path} ${req.interface ?? '(no interface)'}.${member}`;
}

/** Asserts that `req` is refused as forbidden at every level under `allow * * * * *`. */
export async function assertForbiddenEverywhere(req: OperationRequest, note = ''): Promise<void> {
  for (const level of SAFETY_LEVELS) {
    const j = await judge(req, level);
    assert.deepEqual(
      { allowed: j.allowed, code: j.code, kind: j.kind },
      { allowed: false, code: 'POLICY_DENIED', kind: 'forbidden' },
      `${describeReq(req)} at ${level} under "${OPEN_EVERYTHING}": ${j.reason}${note ? ` — ${note}` : ''}`,
    );
  }
}

/** One test per attack: refused as forbidden at every level under `allow * * * * *`. */
export function forbiddenEverywhere(attacks: readonly Attack[]): void {
  for (const a of attacks) {
    const name = `${describeReq(a.req)}: ${a.what}`;
    const options = a.todo !== undefined ? { todo: a.todo } : {};
    it(name, options, () => assertForbiddenEverywhere(a.req, a.ref));
  }
}

export interface Legitimate {
  what: string;
  req: OperationRequest;
  /** The level that must allow it without any rule (the product's promise to its users). */
  level: SafetyLevel;
  kind: OperationKind;
}

/**
 * What a fix must not break: reads stay reads and ordinary calls stay allowed at their level,
 * without any operator rule (issue 12, "Nothing that worked for a user before breaks").
 */
export function stillAllowed(cases: readonly Legitimate[]): void {
  for (const c of cases) {
    it(`${describeReq(c.req)} stays ${c.kind} at ${c.level}: ${c.what}`, async () => {
      const j = await judge(c.req, c.level, '');
      assert.deepEqual({ allowed: j.allowed, kind: j.kind }, { allowed: true, kind: c.kind }, j.reason);
    });
  }
}
