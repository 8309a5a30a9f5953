import type { Logger } from '../../shared/logger.js';
import type { BusKind } from '../dbus/types.js';
import { SYSTEMD } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { OperationRequest } from '../policy/index.js';
import type { SignalFilter } from './match-rule.js';

/** Does a subscription need systemd's Manager.Subscribe() to see what it asks for? */
export function needsSystemd(f: SignalFilter): boolean {
  const path = f.path ?? f.path_namespace;
  return (
    f.sender === SYSTEMD.destination ||
    (f.interface?.startsWith(`${SYSTEMD.destination}.`) ?? false) ||
    (path !== undefined && path.startsWith(SYSTEMD.path))
  );
}

/**
 * systemd's Manager.Subscribe() on one bus, shared by every user (signal subscriptions,
 * manage_unit waiting for its job): systemd emits unit and job signals only to subscribed
 * connections and keeps one subscription per connection, so the first holder sends Subscribe
 * and the last release Unsubscribe — both through the gate (curated reads). A failure is logged,
 * not thrown: signals then simply do not come.
 */
export class SystemdSubscription {
  readonly #gate: Pick<Gate, 'run'>;
  readonly #bus: BusKind;
  readonly #log: Logger;
  #holders = 0;

  constructor(gate: Pick<Gate, 'run'>, bus: BusKind, log: Logger) {
    this.#gate = gate;
    this.#bus = bus;
    this.#log = log;
  }

  async retain(): Promise<void> {
    if (this.#holders++ === 0) await this.#call('Subscribe');
  }

  async release(): Promise<void> {
    if (--this.#holders === 0) await this.#call('Unsubscribe');
  }

  async #call(member: 'Subscribe' | 'Unsubscribe'): Promise<void> {
    const req: OperationRequest = { bus: this.#bus, ...SYSTEMD, member, access: 'call', signature: '' };
    try {
      await this.#gate.run(req, {}, (op) => op.call());
    } catch (err) {
      this.#log.debug({ err, member, bus: this.#bus }, 'systemd subscription call failed');
    }
  }
}
