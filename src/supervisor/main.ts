import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CommandContext } from '../cli.js';
import type { Config, ConfigKey, LoadConfigOptions } from '../shared/config.js';
import { defaultConfigFiles, loadConfig } from '../shared/config.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { loadRules } from '../worker/policy/index.js';
import { ClientSession } from './client-session.js';
import { SERVER_BUSY, errorResponse } from './framing.js';
import { openListener } from './listener.js';
import { SparePool } from './spare-pool.js';
import type { StatusDocument } from './status.js';
import { startControlServer } from './status.js';
import { STOP_STEP_MS, WorkerHandle } from './worker-handle.js';

/** SIGTERM: sessions and workers get this long in total before whatever is left is killed. */
const DRAIN_DEADLINE_MS = 3 * STOP_STEP_MS + 1000;

/** The options that reproduce this start's configuration chain (flags and --config) at SIGHUP. */
function reloadOptions(ctx: CommandContext): LoadConfigOptions {
  const flags: LoadConfigOptions['flags'] = {};
  for (const [key, origin] of Object.entries(ctx.loaded.origins)) {
    if (origin.source === 'flag') {
      flags[key as ConfigKey] = { value: String(ctx.loaded.config[key as ConfigKey]), flag: origin.flag };
    }
  }
  const [only] = ctx.loaded.files;
  const explicit =
    ctx.loaded.files.length === 1 && only !== undefined && !defaultConfigFiles(ctx.env).includes(only)
      ? only
      : undefined;
  return { env: ctx.env, flags, configFile: explicit };
}

function notifySystemd(env: NodeJS.ProcessEnv, log: Logger): void {
  if (!env.NOTIFY_SOCKET) return;
  const child = spawn('systemd-notify', ['--ready', `--pid=${process.pid}`], { stdio: 'ignore' });
  child.on('error', (err) => log.warn({ err: errorMessage(err) }, 'systemd-notify failed'));
}

/**
 * Opt-in for benchmarks (bench/README.md): with TEST_DBUS_MCP_LOOP_STATS=1 the supervisor logs its
 * event-loop delay (max/p99/mean since the last line, ms) once a second, so a stall while relaying
 * a large answer is visible from outside. Off by default; the unref'd timer never holds the loop.
 */
function startLoopStats(env: NodeJS.ProcessEnv, log: Logger): void {
  if (env.TEST_DBUS_MCP_LOOP_STATS !== '1') return;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  setInterval(() => {
    log.info(
      { maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), meanMs: ms(histogram.mean) },
      'event loop delay',
    );
    histogram.reset();
  }, 1000).unref();
}

/**
 * `dbus-mcp serve`: the supervisor. Listens (or takes systemd's socket), runs one worker per
 * client, keeps spare workers, answers `dbus-mcp status` on `<socket>.ctl`. SIGTERM/SIGINT drain:
 * stop accepting, close every session and stop every worker in parallel within a deadline, exit 0.
 * SIGHUP reloads the configuration (a bad file keeps the running one) and pushes it to live workers.
 */
export async function runServe(ctx: CommandContext): Promise<number> {
  const log = ctx.log;
  let config: Config = ctx.loaded.config;
  // Workers load the policy rules; a bad rule file must stop start-up here (exit 78), not every client.
  loadRules(config, ctx.env);
  const startedAt = Date.now();
  const listener = await openListener(config, ctx.env, log);
  const sessions = new Map<string, ClientSession>();
  let seq = 0;
  let draining = false;

  const forkWorker = (spare = false) =>
    new WorkerHandle({
      programPath: ctx.programPath,
      config,
      env: ctx.env,
      log: log.child({ component: 'worker' }),
      spare,
    });
  const pool = new SparePool({
    size: () => config.SPARE_WORKERS,
    // Spares warm up before they report `booted`; a worker forked for a waiting client does not.
    fork: () => forkWorker(true),
    log: log.child({ component: 'spares' }),
  });

  const snapshot = (): StatusDocument => ({
    pid: process.pid,
    version: process.env.DBUS_MCP_VERSION ?? '0.0.0',
    startedAt: new Date(startedAt).toISOString(),
    uptimeMs: Date.now() - startedAt,
    safetyLevel: config.SAFETY_LEVEL,
    socket: listener.path,
    activated: listener.activated,
    maxClients: config.MAX_CLIENTS,
    clients: [...sessions.values()].map((s) => s.status()),
    spareWorkers: pool.list(),
  });
  let control: { close(): Promise<void> };
  try {
    control = await startControlServer(listener.path, snapshot, log);
  } catch (err) {
    await listener.close();
    throw err;
  }

  const onConnection = (socket: Socket): void => {
    if (draining) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {});
    if (sessions.size >= config.MAX_CLIENTS) {
      log.warn({ maxClients: config.MAX_CLIENTS }, 'client refused: MAX_CLIENTS reached');
      const message = `server busy: MAX_CLIENTS (${config.MAX_CLIENTS}) clients are already connected; try again later`;
      socket.end(
        `${JSON.stringify(errorResponse(null, SERVER_BUSY, message, { code: 'MAX_CLIENTS', maxClients: config.MAX_CLIENTS }))}\n`,
      );
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const id = `c${++seq}`;
    const session = new ClientSession({
      id,
      socket,
      config: () => config,
      log,
      acquireWorker: () => pool.take() ?? forkWorker(),
      onClosed: (s) => sessions.delete(s.id),
    });
    sessions.set(id, session);
    session.start();
  };

  const reload = (): void => {
    let next: Config;
    try {
      next = loadConfig(reloadOptions(ctx)).config;
      loadRules(next, ctx.env);
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'configuration reload failed; keeping the running configuration');
      return;
    }
    config = next;
    log.level = next.LOG_LEVEL;
    for (const session of sessions.values()) session.pushConfig(next);
    pool.fill();
    log.info({ safetyLevel: next.SAFETY_LEVEL, clients: sessions.size }, 'configuration reloaded');
  };

  return new Promise<number>((resolve) => {
    const drain = async (signal: string): Promise<void> => {
      if (draining) return;
      draining = true;
      log.info({ signal, clients: sessions.size }, 'draining');
      const started = Date.now();
      process.off('SIGHUP', reload);
      const closing = [
        listener.close(),
        control.close(),
        pool.stop(),
        ...[...sessions.values()].map((s) =>
          s.close('server shutting down', { failInFlight: 'server is shutting down' }),
        ),
      ];
      const deadline = new Promise<void>((r) => setTimeout(r, DRAIN_DEADLINE_MS).unref());
      await Promise.race([Promise.allSettled(closing), deadline]);
      log.info({ durationMs: Date.now() - started }, 'stopped');
      // Anything still holding the loop past this point (a stuck client socket) must not keep us up.
      setTimeout(() => process.exit(0), 1000).unref();
      resolve(0);
    };
    process.on('SIGHUP', reload);
    process.once('SIGTERM', () => void drain('SIGTERM'));
    process.once('SIGINT', () => void drain('SIGINT'));
    // Only now that SIGTERM drains (without a listener its default action kills at once):
    listener.server.on('connection', onConnection);
    pool.fill();
    startLoopStats(ctx.env, log);
    notifySystemd(ctx.env, log);
    log.info(
      {
        socket: listener.path,
        activated: listener.activated,
        safetyLevel: config.SAFETY_LEVEL,
        maxClients: config.MAX_CLIENTS,
      },
      'listening',
    );
  });
}
