import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { BusConnection } from './connection.js';
import type { BusKind } from './types.js';

/** Resolves the address of a bus: config, else the standard variable, else the standard path. */
export function resolveBusAddress(
  kind: BusKind,
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (kind === 'session') {
    if (config.SESSION_BUS_ADDRESS) return config.SESSION_BUS_ADDRESS;
    if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
    const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
    return `unix:path=${runtimeDir}/bus`;
  }
  if (config.SYSTEM_BUS_ADDRESS) return config.SYSTEM_BUS_ADDRESS;
  if (env.DBUS_SYSTEM_BUS_ADDRESS) return env.DBUS_SYSTEM_BUS_ADDRESS;
  return 'unix:path=/run/dbus/system_bus_socket';
}

/** The session and system connections of one worker, created on first use. */
export class BusManager {
  readonly #config: () => Config;
  readonly #log: Logger;
  readonly #env: NodeJS.ProcessEnv;
  readonly #connections = new Map<BusKind, BusConnection>();

  /** `config` is read again for every call (timeouts, the concurrency bound) and when a bus is first used. */
  constructor(opts: { config: () => Config; log: Logger; env?: NodeJS.ProcessEnv }) {
    this.#config = opts.config;
    this.#log = opts.log;
    this.#env = opts.env ?? process.env;
  }

  get(kind: BusKind): BusConnection {
    let conn = this.#connections.get(kind);
    if (!conn) {
      conn = new BusConnection({
        kind,
        address: resolveBusAddress(kind, this.#config(), this.#env),
        config: this.#config,
        log: this.#log.child({ bus: kind }),
      });
      this.#connections.set(kind, conn);
    }
    return conn;
  }

  /** Closes both connections; a later `get` opens fresh ones. */
  async closeAll(): Promise<void> {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
