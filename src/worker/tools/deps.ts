import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import type { BusManager } from '../dbus/connection.js';
import type { PolicyEngine } from '../policy/index.js';
import type { SignalHub } from '../signals/hub.js';

/** What every tool gets from the server factory. Config is read through a getter: SIGHUP may change it. */
export interface ToolDeps {
  config(): Config;
  readonly log: Logger;
  readonly clientId: string;
  readonly buses: BusManager;
  readonly policy: PolicyEngine;
  /** This worker's signal subscriptions (subscribe_signals, read_signals; systemd Subscribe refcount). */
  readonly signals: SignalHub;
}
