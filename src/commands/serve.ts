import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Config, ConfigKey, LoadConfigOptions } from '../shared/config.js';
import { defaultConfigFiles, loadConfig } from '../shared/config.js';
import { AppError } from '../shared/errors.js';
import { keepYoungGenerationSmall } from '../shared/heap.js';
import { IdleCompaction } from '../shared/idle-compaction.js';
import type { Logger } from '../shared/logger.js';
import { programVersion } from '../shared/version.js';
import { machineBootSlots } from '../supervisor/boot-slots.js';
import { startControlServer } from '../supervisor/control-socket.js';
import { isSocketActivated, openListener } from '../supervisor/listener.js';
import { createSupervisor } from '../supervisor/supervisor.js';
import { WorkerHandle, workerExecArgv } from '../supervisor/worker-handle.js';
import { answersStore } from '../supervisor/start-answers-file.js';
import { WorkerSnapshots, snapshotCacheDir, snapshotScript } from '../supervisor/worker-snapshot.js';
import { identity } from '../supervisor/worker-snapshot-files.js';
// The rule-file format is the worker's; the supervisor checks it through the worker's own loader,
// injected here (the composition root), so src/supervisor never imports src/worker.
import { loadRules } from '../worker/policy/rules.js';
import type { CommandContext } from './context.js';
import { reportConfigError } from './context.js';

/** The options that reproduce this start's configuration chain (flags and --config) at SIGHUP. */
function reloadOptions(ctx: CommandContext): LoadConfigOptions {
  const flags: LoadConfigOptions['flags'] = {};
  for (const [key, origin] of Object.entries(ctx.loaded.origins)) {
    if (origin.source === 'flag') {
      flags[key] = { value: String(ctx.loaded.config[key as ConfigKey]), flag: origin.flag };
    }
  }
  const [only] = ctx.loaded.files;
  const explicit =
    ctx.configFile ??
    (ctx.loaded.files.length === 1 && only !== undefined && !defaultConfigFiles(ctx.env).includes(only)
      ? only
      : undefined);
  return { env: ctx.env, flags, configFile: explicit };
}

function notifySystemd(env: NodeJS.ProcessEnv, log: Logger): void {
  if (!env.NOTIFY_SOCKET) return;
  const child = spawn('systemd-notify', ['--ready', `--pid=${process.pid}`], { stdio: 'ignore' });
  child.on('error', (err) => log.warn({ err }, 'systemd-notify failed'));
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
 * The configuration fault that keeps this start from serving, if any: a bad value or line
 * (found by the entry point) or a rule file the workers would fail on.
 */
function startFault(ctx: CommandContext): AppError | undefined {
  if (ctx.configError) return ctx.configError;
  try {
    loadRules(ctx.loaded.config, ctx.env);
    return undefined;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

/**
 * `dbus-mcp serve`: the composition root of the supervisor. Opens the listener (or takes
 * systemd's socket), starts the status channel on `<socket>.ctl`, builds the supervisor
 * (src/supervisor/supervisor.ts) and wires the signals: SIGTERM/SIGINT drain and exit 0, SIGHUP
 * reloads.
 *
 * A configuration or rule-file fault at start exits 78 — unless systemd handed us the socket:
 * exiting then only makes systemd start us again for the next client, until its start limit
 * stops the socket too. So an activated server stays up refusing: every client gets the fault
 * (file:line and the fix) as a JSON-RPC error, `dbus-mcp status` and the journal show it, and a
 * reload (SIGHUP) or restart with the file fixed serves normally.
 */
export async function runServe(ctx: CommandContext): Promise<number> {
  const log = ctx.log;
  const config: Config = ctx.loaded.config;
  const fault = startFault(ctx);
  if (fault && !isSocketActivated(ctx.env)) {
    if (fault.code === 'POLICY_RULE_INVALID') throw fault;
    return reportConfigError(fault);
  }
  keepYoungGenerationSmall();
  const startedAt = Date.now();
  const listener = await openListener(config, ctx.env, log);
  // What relaying a session's messages left behind goes back once every client is quiet. (A
  // session reads its socket with 'data' events anyway; a refused one is read and dropped.)
  const idle = new IdleCompaction();
  listener.onConnection((socket) => socket.on('data', () => idle.activity()));
  idle.activity();
  const scriptPath = snapshotScript(ctx.programPath);
  const snapshots = new WorkerSnapshots({
    scriptPath,
    cacheDir: () => snapshotCacheDir(ctx.env),
    nodePath: process.execPath,
    log: log.child({ component: 'snapshot' }),
  });
  const supervisor = createSupervisor({
    config,
    ...(fault ? { startError: fault } : {}),
    listener,
    log,
    version: programVersion(),
    startedAt,
    supervisorStartupMs: process.uptime() * 1000,
    reloadConfig: () => {
      const next = loadConfig(reloadOptions(ctx)).config;
      loadRules(next, ctx.env);
      return next;
    },
    bootSlots: machineBootSlots(),
    answersStore: answersStore({
      dir: () => snapshotCacheDir(ctx.env),
      // The build's snapshot script changes with every build (a checkout run through tsx has none).
      program: scriptPath && `${process.execPath} ${process.version} ${scriptPath} ${identity(scriptPath)}`,
      log: log.child({ component: 'start-answers' }),
    }),
    forkWorker: (workerConfig, { spare, boot, snapshotBlob, start = true }) => {
      const worker = new WorkerHandle({
        programPath: ctx.programPath,
        config: workerConfig,
        env: ctx.env,
        log: log.child({ component: 'worker' }),
        spare,
        boot,
        ...(snapshotBlob ? { snapshotBlob } : {}),
      });
      if (start) worker.start();
      return worker;
    },
    snapshots: {
      blobFor: (c) => (c.WORKER_SNAPSHOT === 'on' ? snapshots.blobFor(workerExecArgv(c)) : undefined),
      build: (c) => {
        if (c.WORKER_SNAPSHOT === 'on') snapshots.build(workerExecArgv(c));
      },
      pause: () => snapshots.pause(),
      failed: (blob, reason) => snapshots.failed(blob, reason),
      describe: (c) =>
        c.WORKER_SNAPSHOT === 'on'
          ? snapshots.describe(workerExecArgv(c))
          : { state: 'off', detail: 'WORKER_SNAPSHOT=off' },
      stop: () => snapshots.stop(),
    },
  });
  let control: { close(): Promise<void> };
  try {
    control = await startControlServer(listener.path, () => supervisor.status(), log);
  } catch (err) {
    await listener.close();
    throw err;
  }

  return new Promise<number>((resolve) => {
    const reload = () => supervisor.reload();
    const stop = (signal: string) => {
      process.off('SIGHUP', reload);
      void supervisor
        .drain(signal)
        .then(() => control.close())
        .finally(() => {
          // Anything still holding the loop past this point (a stuck client socket) must not keep us up.
          setTimeout(() => process.exit(0), 1000).unref();
          resolve(0);
        });
    };
    process.on('SIGHUP', reload);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // Only now that SIGTERM drains (without a listener its default action kills at once):
    listener.onConnection((socket) => supervisor.accept(socket));
    supervisor.start();
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
