import type { Config } from '../../shared/config.js';
import { AppError, DBusCallError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { BusManager } from '../dbus/bus-manager.js';
import { assertBusName, assertInterfaceName, assertMemberName, assertObjectPath } from '../dbus/names.js';
import type { BusKind, SignalMessage } from '../dbus/types.js';
import type { OperationContext } from '../mcp/context.js';
import type { Explanation, OperationRequest, PolicyEngine } from '../policy/index.js';
import { checkArgumentBounds } from './bounds.js';
import { DriverReads } from './driver.js';
import { AuthorizedOperation } from './operation.js';
import { messagePreparer } from './prepare.js';

/** What the signal hub may use of a connection: receiving only (sending goes through operations). */
export interface SignalSource {
  readonly kind: BusKind;
  onSignal(listener: (msg: SignalMessage) => void): () => void;
  /** Name owners, to match a subscription's well-known sender against a signal's unique sender. */
  readonly owners: { ready(): Promise<void>; current(name: string): string | undefined };
}

/**
 * Validates every name of a request before anything is decided or sent (the policy must not judge
 * garbage; the connection checks again for its own callers). A task tool that talks to no service
 * passes destination ''; GetAll passes member ''.
 */
export function validateTarget(req: OperationRequest): void {
  if (req.destination === '') return;
  assertBusName(req.destination, 'service');
  assertObjectPath(req.path, 'path');
  if (req.interface !== undefined) assertInterfaceName(req.interface, 'interface');
  if (req.member !== '' || req.access !== 'getall') assertMemberName(req.member, 'member');
}

/** The name an audit line records for a failure. */
function errorName(e: unknown): string {
  if (e instanceof DBusCallError) return e.dbusName;
  if (e instanceof AppError) return `dbus-mcp.${e.code}`;
  return 'dbus-mcp.INTERNAL';
}

/**
 * The only way from a tool to a bus. `run` judges one operation — names validated, the message
 * prepared (typed arguments), the policy's decision, confirmation, rate limit — and hands the
 * callback an AuthorizedOperation that can send exactly what was judged; the audit record is
 * closed with the outcome when the callback settles. `driver` holds the few bus-driver reads that
 * need no decision. The gate owns this worker's bus connections: tools never see one.
 */
export class Gate {
  readonly driver: DriverReads;
  readonly #buses: BusManager;
  readonly #policy: PolicyEngine;
  readonly #config: () => Config;

  constructor(opts: { config: () => Config; log: Logger; policy: PolicyEngine }) {
    this.#buses = new BusManager({ config: opts.config, log: opts.log });
    this.#policy = opts.policy;
    this.#config = opts.config;
    this.driver = new DriverReads((bus) => this.#buses.get(bus));
  }

  /**
   * Judges `req` and, when allowed, runs `use` with the operation. A refusal rejects with
   * POLICY_DENIED or RATE_LIMITED (level, kind, rule and hint in the details), or with the
   * confirmation a 2026-era client must ask first; arguments past MAX_CALL_ARG_ELEMENTS or
   * MAX_CALL_ARG_BYTES reject with INVALID_ARGUMENT before anything looks at them; arguments
   * that do not fit reject with the conversion error; nothing is sent in any of these cases.
   */
  async run<T>(
    req: OperationRequest,
    octx: OperationContext,
    use: (op: AuthorizedOperation) => Promise<T>,
  ): Promise<T> {
    validateTarget(req);
    checkArgumentBounds(req.args, this.#config());
    const conn = this.#buses.get(req.bus);
    const auth = await this.#policy.authorize(req, {
      conn,
      confirm: octx.confirm,
      signal: octx.signal,
      prepare: req.destination === '' ? undefined : messagePreparer(conn, req, octx.signal),
    });
    if (!auth.allowed) {
      if (octx.confirmationNeeded) throw octx.confirmationNeeded;
      throw new AppError(auth.code ?? 'POLICY_DENIED', auth.reason, {
        details: {
          level: auth.level,
          kind: auth.kind,
          ...(auth.rule ? { rule: auth.rule } : {}),
          ...(auth.hint ? { hint: auth.hint } : {}),
          ...(auth.retryAfterMs !== undefined ? { retry_after_ms: auth.retryAfterMs } : {}),
        },
      });
    }
    const op = new AuthorizedOperation({
      conn,
      req,
      kind: auth.kind,
      judged: auth.op,
      octx,
      driver: this.driver,
    });
    try {
      const result = await use(op);
      auth.finish({});
      return result;
    } catch (e) {
      auth.finish({ error: errorName(e) });
      throw e;
    }
  }

  /** The policy's decision for `req` without performing it (explain_policy). */
  explain(req: OperationRequest): Promise<Explanation> {
    validateTarget(req);
    return this.#policy.explain(req, this.#buses.get(req.bus));
  }

  /** The receiving side of a bus, for the signal hub. */
  signalSource(bus: BusKind): SignalSource {
    return this.#buses.get(bus);
  }

  /** Opens the session bus connection in the background (a failure is reported by the first call). */
  connectAhead(): void {
    try {
      this.#buses
        .get('session')
        .uniqueName()
        .catch(() => {});
    } catch {
      // No usable session bus address: the first call says so.
    }
  }

  /** Closes the bus connections; a later `run` opens fresh ones. */
  close(): Promise<void> {
    return this.#buses.closeAll();
  }
}
