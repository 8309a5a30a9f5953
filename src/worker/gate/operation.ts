import { AppError, DBusCallError } from '../../shared/errors.js';
import type { BusConnection } from '../dbus/connection.js';
import type { IntrospectedNode } from '../dbus/introspection.js';
import type { BusKind, CallReply, CallRequest } from '../dbus/types.js';
import { isVariant } from '../dbus/values/index.js';
import { DBUS_ERRORS, DRIVER, INTROSPECTABLE, PROPERTIES } from '../dbus/well-known.js';
import type { OperationContext } from '../mcp/context.js';
import { withProgress } from '../mcp/context.js';
import type { OperationKind, OperationRequest, PreparedMessage, ResolvedOperation } from '../policy/index.js';
import type { SignalFilter } from '../signals/match-rule.js';
import type { ArmedSignal } from '../signals/once.js';
import { armSignal } from '../signals/once.js';
import type { DriverReads } from './driver.js';
import { replyWithoutSecrets } from './reply-secrets.js';

/** A match rule held for a subscription; `release` lets it go (once). */
export interface MatchHold {
  readonly rule: string;
  release(): Promise<void>;
}

/** A signal an operation waits for: its filter without the sender, which is the judged destination. */
export type AnswerFilter = Omit<SignalFilter, 'bus' | 'sender'>;

/**
 * A D-Bus error for a service that is not running and was not started (the message carried
 * NO_AUTO_START): it says so, whether the bus could start it, and how to ask.
 */
export class ServiceNotRunning extends DBusCallError {
  readonly hint: string;

  constructor(dbusName: string, destination: string, activatable: boolean) {
    super(
      dbusName,
      activatable
        ? `${destination} is not running and was not started: it is activatable (the bus starts it on request), ` +
            'but nothing the product sends starts a service unless asked'
        : `nobody owns ${destination} on this bus: it is not running, and it is not activatable ` +
            '(nothing on this bus can start it)',
    );
    this.hint = activatable
      ? 'pass auto_start: true to let the bus start it'
      : 'check the name: list_services shows what is running and what the bus can start';
  }
}

/**
 * What a tool holds inside `Gate.run`: the one operation the policy judged, and the means to do
 * exactly that. `call()` sends the judged destination, path, interface (the resolved one), member
 * (or the Properties call the policy mapped it to) and the arguments the policy saw, converted;
 * nothing about the message can be changed here.
 */
export class AuthorizedOperation {
  readonly bus: BusKind;
  readonly kind: OperationKind;
  readonly destination: string;
  readonly path: string;
  /** The interface as judged (for a property access, the property's interface). */
  readonly interface: string;
  /** The member as judged (the property name for a property access; '' for getall). */
  readonly member: string;
  readonly #conn: BusConnection;
  readonly #req: OperationRequest;
  readonly #message: PreparedMessage | undefined;
  readonly #octx: OperationContext;
  readonly #driver: DriverReads;

  constructor(opts: {
    conn: BusConnection;
    req: OperationRequest;
    kind: OperationKind;
    judged: ResolvedOperation | undefined;
    octx: OperationContext;
    driver: DriverReads;
  }) {
    const { conn, req, judged } = opts;
    this.#conn = conn;
    this.#req = req;
    this.#message = judged?.message;
    this.#octx = opts.octx;
    this.#driver = opts.driver;
    this.bus = req.bus;
    this.kind = opts.kind;
    this.destination = req.destination;
    this.path = judged?.path ?? req.path;
    this.interface = judged?.interface ?? req.interface ?? '';
    this.member = judged?.member ?? req.member;
  }

  /** The signature of the arguments sent (the judged one). */
  get signature(): string {
    return this.#message?.signature ?? '';
  }

  /** For a property write: the D-Bus type the value is sent as (the variant's signature). */
  get valueSignature(): string | undefined {
    const m = this.#message;
    const value = m?.body[2];
    return m?.interface === PROPERTIES && m.member === 'Set' && isVariant(value)
      ? value.signature
      : undefined;
  }

  /**
   * Sends the judged message and resolves with the reply. NO_AUTO_START unless the request asked
   * to start the service; a service that is not running answers ServiceNotRunning. `timeoutMs`
   * overrides CALL_TIMEOUT_MS for this call; progress is reported while it waits (`progress` says
   * what it waits for; default "waiting for DESTINATION MEMBER"). A bulk property read comes back
   * without secret-named properties (reply-secrets.ts).
   */
  async call(opts: { timeoutMs?: number; progress?: string } = {}): Promise<CallReply> {
    const message = this.#sendable();
    const req: CallRequest = {
      destination: this.destination,
      path: this.path,
      interface: message.interface,
      member: message.member,
      signature: message.signature,
      body: message.body,
      noAutoStart: this.#req.autoStart !== true,
    };
    const sent = this.#conn.call(req, { timeoutMs: opts.timeoutMs, signal: this.#octx.signal });
    try {
      const waiting = opts.progress ?? `waiting for ${this.destination} ${message.member}`;
      const reply = await withProgress(this.#octx, waiting, sent);
      return replyWithoutSecrets(message, reply);
    } catch (e) {
      throw await this.#notRunning(e);
    }
  }

  /**
   * The judged Introspect, parsed and answered from the connection's cache when it can be (the
   * operation must be `org.freedesktop.DBus.Introspectable.Introspect`).
   */
  async introspect(): Promise<IntrospectedNode> {
    const message = this.#sendable();
    if (message.interface !== INTROSPECTABLE || message.member !== 'Introspect') {
      throw this.#misuse('introspect() of an operation that is not Introspect');
    }
    try {
      return await this.#conn.introspection.get(this.destination, this.path, {
        signal: this.#octx.signal,
        noAutoStart: this.#req.autoStart !== true,
      });
    } catch (e) {
      throw await this.#notRunning(e);
    }
  }

  /**
   * Listens for a signal the judged destination sends in answer (a portal Response, a systemd
   * JobRemoved): the match rule names the destination as sender. Arm it before the call that
   * causes the signal; release it when done.
   */
  watch(filter: AnswerFilter, accept?: Parameters<typeof armSignal>[2]): Promise<ArmedSignal> {
    return armSignal(this.#conn, { ...filter, sender: this.destination }, accept);
  }

  /**
   * Holds the match rule the operation judged (`org.freedesktop.DBus.AddMatch` with the rule as
   * its one argument), refcounted by the connection and re-added after a reconnect.
   */
  async holdMatch(): Promise<MatchHold> {
    const rule = this.#req.args?.[0];
    if (
      this.#req.interface !== DRIVER.interface ||
      this.#req.member !== 'AddMatch' ||
      typeof rule !== 'string'
    ) {
      throw this.#misuse('holdMatch() of an operation that is not AddMatch(rule)');
    }
    await this.#conn.addMatch(rule);
    let released = false;
    return {
      rule,
      release: async () => {
        if (released) return;
        released = true;
        await this.#conn.removeMatch(rule);
      },
    };
  }

  /** This worker's unique name on the operation's bus (a portal derives request paths from it). */
  uniqueName(): Promise<string> {
    return this.#conn.uniqueName();
  }

  #sendable(): PreparedMessage {
    if (!this.#message) throw this.#misuse('an operation without a destination sends nothing');
    return this.#message;
  }

  #misuse(what: string): AppError {
    return new AppError(
      'INTERNAL',
      `${what} (${this.destination} ${this.path} ${this.interface}.${this.member})`,
    );
  }

  /** NameHasNoOwner under NO_AUTO_START: say that the service is not running, and how to start it. */
  async #notRunning(e: unknown): Promise<unknown> {
    if (
      this.#req.autoStart === true ||
      this.destination.startsWith(':') ||
      !(e instanceof DBusCallError) ||
      e.dbusName !== DBUS_ERRORS.NameHasNoOwner ||
      e instanceof ServiceNotRunning
    ) {
      return e;
    }
    const activatable = await this.#driver
      .listActivatableNames(this.bus)
      .then((names) => names.includes(this.destination))
      .catch(() => false);
    return new ServiceNotRunning(e.dbusName, this.destination, activatable);
  }
}
