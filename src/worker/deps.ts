import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { Gate } from './gate/gate.js';
import type { SignalHub } from './signals/hub.js';

/**
 * What the tools, resources and prompts of one client get from the runtime. No bus connection:
 * everything that reaches a bus goes through `gate`. Config is read through a getter: SIGHUP may
 * change it.
 */
export interface WorkerDeps {
  config(): Config;
  readonly log: Logger;
  readonly clientId: string;
  /** The worker's environment (the desktop tools read XDG_CURRENT_DESKTOP, HOME, XDG_DESKTOP_PORTAL_DIR). */
  readonly env: NodeJS.ProcessEnv;
  /** The only way to a bus: judged operations (`run`), explanations, the bus-driver reads. */
  readonly gate: Gate;
  /** This worker's signal subscriptions (subscribe_signals, read_signals; systemd Subscribe refcount). */
  readonly signals: SignalHub;
}
