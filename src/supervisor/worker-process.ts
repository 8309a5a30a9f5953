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

/** Forks `dbus-mcp worker` (`--spare` ahead of a client) with the worker's V8 flags and environment. */
export function forkWorkerProcess(options: {
  programPath: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  spare?: boolean;
  spawn?: (programPath: string, args: string[], options: ForkOptions) => WorkerProcess;
}): WorkerProcess {
  const { config, spare } = options;
  const spawn = options.spawn ?? defaultSpawn;
  const child = spawn(options.programPath, spare ? ['worker', '--spare'] : ['worker'], {
    serialization: 'json',
    // Small-heap flags (bench/README.md, "Memory"): a small young generation and no V8 background
    // threads cut an idle worker's private memory by more than half, latency unchanged. A quarter
    // of V8's default interrupt budget reaches optimised code sooner (bench/README.md, "Warm-up").
    execArgv: [
      `--max-old-space-size=${config.WORKER_MAX_MEMORY_MB}`,
      '--max-semi-space-size=1',
      '--single-threaded',
      '--interrupt-budget=16384',
    ],
    env: workerEnv(options.env, config),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return child;
}
