// Over 300 lines: authorize and explain share the decision, the audit record and the question.
import type { Config, SafetyLevel } from '../../shared/config.js';
import { SAFETY_LEVELS } from '../../shared/config.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { AuditRecord } from './audit.js';
import { auditArgs, isSecretBearing, writeAudit } from './audit.js';
import { argumentsDigest, confirmationKey } from './confirm-key.js';
import type { ClassificationSource } from './classify.js';
import type { ConfirmFn, ConfirmOutcome, ConfirmQuestion } from './confirm.js';
import { askHuman, parseAskKinds } from './confirm.js';
import type { Decision } from './decide.js';
import { decide } from './decide.js';
import type { OperationKind } from './levels.js';
import { levelAllows } from './levels.js';
import type { PolicyState, ServiceRate } from './rate-limit.js';
import {
  RateLimiter,
  bucketFor,
  limitsFromConfig,
  localServiceRate,
  serviceLimitedMessage,
} from './rate-limit.js';
import type { OperationRequest, PolicyConnection, PrepareMessage, ResolvedOperation } from './resolve.js';
import type { Rule } from './rules.js';
import { describeRule } from './rules.js';

/** The answer to one authorize() call. Refusals carry a reason, the level, the rule and a hint. */
export interface Authorization {
  allowed: boolean;
  /** POLICY_DENIED or RATE_LIMITED when refused. */
  code?: 'POLICY_DENIED' | 'RATE_LIMITED';
  kind: OperationKind;
  level: SafetyLevel;
  reason: string;
  /** `file:line: rule` of the operator rule that decided, if one did. */
  rule?: string;
  /** What would allow it: a level, a rule, or "forbidden at every level". */
  hint?: string;
  /** The interface to send the call to (found by introspection when the caller omitted it). */
  interface?: string;
  /** The operation as judged (resolved names, interface, property mapping, the prepared message). */
  op?: ResolvedOperation;
  retryAfterMs?: number;
  /** Call once the operation is done (in a `finally`): writes the audit line with duration and D-Bus error. */
  finish(outcome?: { error?: string }): void;
}

export interface Explanation {
  decision: 'allow' | 'deny' | 'ask';
  kind: OperationKind;
  level: SafetyLevel;
  reason: string;
  rule?: string;
  hint?: string;
  interface?: string;
  /** Method or property name as judged. */
  member: string;
  access: OperationRequest['access'];
  /** The destination and every name of its owner (when a bus was given). */
  names: string[];
  owner?: string;
  classifiedBy?: ClassificationSource | 'declared';
  /** Whether each level allows this kind on this bus without rules. */
  levels: Record<SafetyLevel, boolean>;
}

export interface AuthorizeContext {
  conn?: PolicyConnection;
  /** Builds the message to send once the operation is resolved (the gate converts the arguments here). */
  prepare?: PrepareMessage;
  /** Asks the human (elicitation); absent when the client cannot. */
  confirm?: ConfirmFn;
  signal?: AbortSignal;
}

export interface PolicyEngineOptions {
  config: Config;
  log: Logger;
  clientId: string;
  rules: Rule[];
  state?: PolicyState;
  onStateChange?: (s: PolicyState) => void;
  /**
   * The service-wide rate limit (all clients of one `serve`): the supervisor's, asked over IPC.
   * Absent: this process is its own service (direct mode) and keeps those buckets itself.
   */
  serviceRate?: ServiceRate;
  /** Clock for the rate limits (tests). */
  now?: () => number;
}

const NO_FINISH = (): void => {};
const CONFIRM_REFUSALS: Record<Exclude<ConfirmOutcome, 'accepted'>, string> = {
  declined: 'the human declined the confirmation',
  unavailable: 'confirmation is required but this client cannot ask the human (no elicitation support)',
  timeout: 'confirmation is required but the human did not answer in time',
  aborted: 'the request was cancelled while waiting for confirmation',
};

/**
 * The policy of one client: level, operator rules, rate limits, confirmation and audit. Every
 * tool calls authorize() before sending anything to a bus, and finish() when done.
 */
export class PolicyEngine {
  readonly #log: Logger;
  readonly #clientId: string;
  readonly #onStateChange: ((s: PolicyState) => void) | undefined;
  readonly #limiter: RateLimiter;
  readonly #serviceRate: ServiceRate;
  readonly #localService: ReturnType<typeof localServiceRate> | undefined;
  #config: Config;
  #rules: Rule[];
  #askKinds: Set<OperationKind>;

  constructor(opts: PolicyEngineOptions) {
    this.#log = opts.log;
    this.#clientId = opts.clientId;
    this.#onStateChange = opts.onStateChange;
    this.#config = opts.config;
    this.#rules = opts.rules;
    this.#askKinds = parseAskKinds(opts.config.ASK_KINDS);
    this.#limiter = new RateLimiter(limitsFromConfig(opts.config), { state: opts.state, now: opts.now });
    this.#localService = opts.serviceRate ? undefined : localServiceRate(opts.config, opts.now);
    this.#serviceRate = opts.serviceRate ?? (this.#localService as ReturnType<typeof localServiceRate>).rate;
  }

  get level(): SafetyLevel {
    return this.#config.SAFETY_LEVEL;
  }

  /** New configuration and rules (SIGHUP); rate-limit buckets are kept. */
  setConfig(config: Config, rules: Rule[]): void {
    this.#askKinds = parseAskKinds(config.ASK_KINDS);
    this.#config = config;
    this.#rules = rules;
    this.#limiter.setLimits(limitsFromConfig(config));
    this.#localService?.setConfig(config);
  }

  state(): PolicyState {
    return this.#limiter.state();
  }

  #decide(
    req: OperationRequest,
    conn: PolicyConnection | undefined,
    explaining: boolean,
    ctx: Pick<AuthorizeContext, 'signal' | 'prepare'> = {},
  ) {
    return decide(req, conn, {
      level: this.level,
      rules: this.#rules,
      askKinds: this.#askKinds,
      explaining,
      signal: ctx.signal,
      prepare: ctx.prepare,
    });
  }

  /**
   * The decision for an operation without performing it: no rate limit, confirmation or audit.
   * With a connection, names and omitted interfaces are resolved on the bus; without one (or
   * when the bus cannot be reached) the operation is explained statically.
   */
  async explain(req: OperationRequest, conn?: PolicyConnection): Promise<Explanation> {
    let d: Decision;
    try {
      d = await this.#decide(req, conn, true);
    } catch (e) {
      // The bus cannot be asked (down, unreachable): explain statically rather than not at all.
      d = await this.#decide(req, undefined, true);
      d = { ...d, reason: `${d.reason} (explained statically: ${errorMessage(e)})` };
    }
    const levels = Object.fromEntries(
      SAFETY_LEVELS.map((l) => [l, d.kind !== 'forbidden' && levelAllows(l, req.bus, d.kind)]),
    ) as Record<SafetyLevel, boolean>;
    return {
      decision: d.verdict,
      kind: d.kind,
      level: this.level,
      reason: d.verdict === 'ask' ? `${d.reason}; the human is asked first` : d.reason,
      rule: d.rule ? describeRule(d.rule) : undefined,
      hint: d.hint,
      interface: d.op?.interface ?? req.interface,
      member: d.op?.member ?? req.member,
      access: d.op?.access ?? req.access,
      names: d.names,
      owner: d.owner,
      classifiedBy: d.classifiedBy,
      levels,
    };
  }

  /**
   * Decides whether `req` may run, before anything is sent. Order: resolution, the message
   * (`ctx.prepare`), classification, forbidden floor, rules, level, rate limit, confirmation.
   * Refusals are audited at once; allowed non-read operations are audited when `finish()` is
   * called. An operation that is not refused but whose message could not be prepared rejects
   * with the preparation's error (nothing is sent, no rate token is taken).
   */
  async authorize(req: OperationRequest, ctx: AuthorizeContext = {}): Promise<Authorization> {
    const started = Date.now();
    const d = await this.#decide(req, ctx.conn, false, ctx);
    const record = this.#record(req, d);
    const refuse = (reason: string, extra: Partial<Authorization> = {}): Authorization => {
      writeAudit(this.#log, { ...record, decision: 'refused', reason, durationMs: Date.now() - started });
      return {
        ...this.#base(req, d),
        code: 'POLICY_DENIED',
        ...extra,
        allowed: false,
        reason,
        finish: NO_FINISH,
      };
    };
    if (d.verdict === 'deny') return refuse(d.reason, { hint: d.hint });
    if (d.prepareError !== undefined) throw d.prepareError;

    const limited = this.#limiter.peek(d.kind);
    if (!limited.ok) {
      return refuse(`${d.reason}; ${limited.message}`, {
        code: 'RATE_LIMITED',
        retryAfterMs: limited.retryAfterMs,
        hint: `retry after ${limited.retryAfterMs} ms`,
      });
    }

    if (d.verdict === 'ask') {
      const outcome = await askHuman(
        ctx.confirm,
        this.#question(req, d),
        this.#config.CONFIRM_TIMEOUT_MS,
        ctx.signal,
      );
      record.confirmation = outcome;
      if (outcome !== 'accepted') {
        return refuse(`${d.reason}; ${CONFIRM_REFUSALS[outcome]}`, {
          hint:
            outcome === 'unavailable'
              ? 'use a client that supports elicitation, or remove the ask rule / ASK_KINDS entry'
              : undefined,
        });
      }
    }

    const taken = this.#limiter.take(d.kind);
    if (!taken.ok) {
      return refuse(`${d.reason}; ${taken.message}`, {
        code: 'RATE_LIMITED',
        retryAfterMs: taken.retryAfterMs,
      });
    }
    // Then the service-wide bucket (all clients together): reconnecting gains nothing beyond it.
    const bucket = bucketFor(d.kind);
    if (bucket) {
      const service = await this.#serviceRate(bucket, ctx.signal);
      if (!service.ok) {
        if (taken.bucket) this.#limiter.refund(taken.bucket);
        return refuse(`${d.reason}; ${serviceLimitedMessage(bucket, service)}`, {
          code: 'RATE_LIMITED',
          retryAfterMs: service.retryAfterMs,
          hint: `retry after ${service.retryAfterMs} ms`,
        });
      }
    }
    if (taken.bucket) this.#onStateChange?.(this.#limiter.state());

    let finished = false;
    const finish = (outcome: { error?: string } = {}): void => {
      if (finished || d.kind === 'read') return;
      finished = true;
      writeAudit(this.#log, {
        ...record,
        decision: 'allowed',
        reason: d.reason,
        durationMs: Date.now() - started,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      });
    };
    return { ...this.#base(req, d), allowed: true, reason: d.reason, finish };
  }

  #base(req: OperationRequest, d: Decision): Omit<Authorization, 'allowed' | 'reason' | 'finish'> {
    return {
      kind: d.kind,
      level: this.level,
      rule: d.rule ? describeRule(d.rule) : undefined,
      interface: d.op?.raw?.interface ?? d.op?.interface ?? req.interface,
      op: d.op,
    };
  }

  #record(req: OperationRequest, d: Decision): Omit<AuditRecord, 'decision' | 'reason'> {
    const op = d.op;
    const secret = this.#secret(req, d);
    return {
      clientId: this.#clientId,
      bus: req.bus,
      destination: req.destination,
      owner: d.owner,
      names: d.names,
      path: req.path,
      interface: op?.interface ?? req.interface,
      member: op?.member ?? req.member,
      access: op?.access ?? req.access,
      via: op?.raw ? `${op.raw.interface}.${op.raw.member}` : undefined,
      kind: d.kind,
      level: this.level,
      rule: d.rule ? describeRule(d.rule) : undefined,
      args: auditArgs(req.args, secret),
    };
  }

  #secret(req: OperationRequest, d: Decision): boolean {
    const op = d.op;
    return (
      // What is judged is what is sent: clipboard text is in the arguments, and never logged.
      d.kind === 'clipboard_read' ||
      d.kind === 'clipboard_write' ||
      isSecretBearing(req.interface ?? '', req.member) ||
      (op !== undefined && isSecretBearing(op.interface, op.member))
    );
  }

  /**
   * The question for the human and the key its answer is bound to. The key hashes the full
   * operation (confirm-key.ts); the text shows the arguments cut or redacted as the audit line does,
   * and then says so and gives a digest of the full ones.
   */
  #question(req: OperationRequest, d: Decision): ConfirmQuestion {
    const op = d.op;
    const iface = op?.interface ?? req.interface ?? '';
    const what =
      op?.access === 'set'
        ? `set property ${iface}.${op.member}`
        : op?.access === 'call' || !op
          ? `call ${iface}.${op?.member ?? req.member}`
          : `read ${iface}.${op.member}`;
    const secret = this.#secret(req, d);
    const args = auditArgs(req.args, secret);
    const full = auditArgs(req.args, false, Infinity);
    const digest = argumentsDigest(req, op);
    const note = secret
      ? ` (arguments not shown; digest of the full arguments ${digest})`
      : args !== full
        ? ` (arguments shown cut to ${args?.length ?? 0} of ${full?.length ?? 0} characters; digest of the full arguments ${digest})`
        : '';
    const target = req.destination ? ` on ${req.destination} ${req.path} (${req.bus} bus)` : '';
    return {
      question: `Allow the AI client ${this.#clientId} to ${what}${target}${args ? ` with ${args}${note}` : ''}? (kind: ${d.kind}${d.rule ? `, rule ${d.rule.source}` : ''})`,
      key: confirmationKey(req, op),
    };
  }
}
