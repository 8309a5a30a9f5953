import type { ForkOptions } from 'node:child_process';
import { fork } from 'node:child_process';
import type { Config } from '../shared/config.js';
import type { WorkerProcess } from './worker.js';

/** The worker's environment: no socket-activation or notify variables, no config re-read. */
export function workerEnv(env: NodeJS.ProcessEnv, config: Config): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('LISTEN_') || k === 'NOTIFY_SOCKET' || k === 'WATCHDOG_USEC' || k === 'WATCHDOG_PID')
      continue;
    out[k] = v;
  }
  // The supervisor's configuration reaches the worker over IPC; the worker's own start-up must not
  // fail on a config file edited since (a bad file at SIGHUP keeps the running configuration).
  out.DBUS_MCP_CONFIG = '/dev/null';
  out.DBUS_MCP_LOG_LEVEL = config.LOG_LEVEL;
  return out;
}

const defaultSpawn = (programPath: string, args: string[], options: ForkOptions): WorkerProcess =>
  fork(programPath, args, options) as WorkerProcess;

/**
 * The V8 flags of every worker. A worker snapshot is built with exactly these (node refuses a
 * snapshot built with other V8 flags), so they are also part of its name (worker-snapshot.ts).
 */
export function workerExecArgv(config: Config): string[] {
  // Small-heap flags (bench/README.md, "Memory"): a small young generation and no V8 background
  // threads cut an idle worker's private memory by more than half, latency unchanged. A quarter
  // of V8's default interrupt budget reaches optimised code sooner (bench/README.md, "Warm-up").
  return [
    `--max-old-space-size=${config.WORKER_MAX_MEMORY_MB}`,
    '--max-semi-space-size=1',
    '--single-threaded',
    '--interrupt-budget=16384',
  ];
}

/**
 * Forks `dbus-mcp worker` (`--spare` ahead of a client) with the worker's V8 flags and environment;
 * with `snapshotBlob`, node starts from that worker snapshot instead of loading the program.
 */
export function forkWorkerProcess(options: {
  programPath: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  spare?: boolean;
  snapshotBlob?: string;
  spawn?: (programPath: string, args: string[], options: ForkOptions) => WorkerProcess;
}): WorkerProcess {
  const { config, spare, snapshotBlob } = options;
  const spawn = options.spawn ?? defaultSpawn;
  const child = spawn(options.programPath, spare ? ['worker', '--spare'] : ['worker'], {
    serialization: 'json',
    execArgv: [...workerExecArgv(config), ...(snapshotBlob ? ['--snapshot-blob', snapshotBlob] : [])],
    env: workerEnv(options.env, config),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return child;
}
