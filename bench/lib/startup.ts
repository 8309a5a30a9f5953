import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Bus } from './procs.js';
import { GET_PROPERTY_ARGS, spawnTracked, stopChild, tempDir } from './procs.js';
import { RpcClient } from './rpc.js';
import type { Supervisor } from './serve.js';
import { PROGRAM, readStatus, startSupervisor, waitFor } from './serve.js';
import type { Summary } from './stats.js';
import { msSince, round, summarize } from './stats.js';

/**
 * The start-up figures of issue 16, each against a bare `node -e 0` start measured in the same
 * run and interleaved with its samples (one bare start before every sample or round), so a
 * machine that gets busier or quieter moves both alike. Ratios are of medians.
 */

/** One `node -e 0`: spawn to exit, ms. `hook` is a `--require` file loaded as in the sample it is compared with. */
export function bareNodeStart(hook?: string): Promise<{ ms: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, [...(hook ? ['--require', hook] : []), '-e', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('close', () => resolve({ ms: msSince(t), rssMiB: maxRssMiB(err) }));
  });
}

export interface StartupFigure {
  /** The measured samples (ms): connect → `initialize` answered. */
  samples: Summary;
  /** The bare node starts interleaved with them (ms). */
  bare: Summary;
  /** samples.p50 / bare.p50 (and samples.max / bare.p50 where a max is judged). */
  p50Ratio: number;
  maxRatio: number;
  /** The same clients' connect → `tools/list` answered, and → their first `get_property` answered (ms). */
  toolsList?: Summary;
  firstCall?: Summary;
  /** firstCall.p50 / bare.p50. */
  firstCallRatio?: number;
}

/** One client's opening: connect → `initialize`, → `tools/list`, → a first `get_property` answered (ms). */
interface Opening {
  ms: number;
  toolsListMs: number;
  firstCallMs: number;
  client: RpcClient;
}

function figure(openings: Array<Pick<Opening, 'ms'> & Partial<Opening>>, bare: number[]): StartupFigure {
  const s = summarize(openings.map((o) => o.ms));
  const b = summarize(bare);
  const toolsList = openings.flatMap((o) => (o.toolsListMs === undefined ? [] : [o.toolsListMs]));
  const firstCall = openings.flatMap((o) => (o.firstCallMs === undefined ? [] : [o.firstCallMs]));
  const f: StartupFigure = {
    samples: s,
    bare: b,
    p50Ratio: round(s.p50 / b.p50, 2),
    maxRatio: round(s.max / b.p50, 2),
  };
  if (toolsList.length > 0) f.toolsList = summarize(toolsList);
  if (firstCall.length > 0) {
    f.firstCall = summarize(firstCall);
    f.firstCallRatio = round(f.firstCall.p50 / b.p50, 2);
  }
  return f;
}

/**
 * Connect and open a session as a host does: `initialize` answered (what a host waits for before
 * it lists the tools), then `tools/list`, then a first `get_property` (which needs the client's
 * worker); each timed from the connect.
 */
async function openSession(socketPath: string): Promise<Opening> {
  const t = process.hrtime.bigint();
  const client = await RpcClient.connect(socketPath);
  await client.initialize();
  const ms = msSince(t);
  const tools = await client.request('tools/list');
  if (tools.error || !Array.isArray(tools.result?.tools))
    throw new Error(`tools/list failed: ${JSON.stringify(tools)}`);
  const toolsListMs = msSince(t);
  await client.callTool('get_property', GET_PROPERTY_ARGS);
  return { ms, toolsListMs, firstCallMs: msSince(t), client };
}

/**
 * The spare pool at rest: as many spares as it wants now (`spares.target`, or `spares` when given),
 * every one booted, no client waiting for a worker; with `clients`, that many clients connected;
 * with `answers`, the start answers learnt from a spare (what a service that has settled holds).
 */
export async function atRest(
  sv: Supervisor,
  spares?: number,
  options: { clients?: number; ms?: number; answers?: boolean } = {},
): Promise<void> {
  await waitFor(
    'the spare pool at rest',
    async () => {
      const st = await sv.status();
      const want = spares ?? st.spares?.target ?? 1;
      return st.clients.length === (options.clients ?? 0) &&
        st.clients.every((c) => c.state === 'ready') &&
        st.spareWorkers.length === want &&
        st.spareWorkers.every((s) => s.state === 'idle') &&
        // (A build from before start answers reports none: DBUS_MCP_PROGRAM for before/after runs.)
        (!options.answers || st.startAnswers === undefined || st.startAnswers === 'learnt')
        ? true
        : undefined;
    },
    options.ms ?? 60_000,
    sv.proc,
  );
}

/**
 * Cold worker: `SPARE_WORKERS=0`, a fresh connection per sample (the previous client gone), so
 * every client waits for a fork; each sample is preceded by a bare node start.
 */
export async function coldWorker(sv: Supervisor, n: number): Promise<StartupFigure> {
  const samples: Opening[] = [];
  const bare: number[] = [];
  for (let i = 0; i < n; i++) {
    await atRest(sv, 0);
    bare.push((await bareNodeStart()).ms);
    const opening = await openSession(sv.socketPath);
    samples.push(opening);
    await opening.client.close();
  }
  return figure(samples, bare);
}

export interface BurstFigure {
  spaced: StartupFigure;
  simultaneous: StartupFigure;
  rounds: number;
  clients: number;
  spacingMs: number;
}

/** `clients` connections, the i-th started `i × spacingMs` after the first; each one's opening. */
async function burstRound(sv: Supervisor, clients: number, spacingMs: number): Promise<Opening[]> {
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const wait = started + i * spacingMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return openSession(sv.socketPath);
    }),
  );
  await Promise.all(results.map((r) => r.client.close()));
  return results;
}

/**
 * A burst of clients with default settings (one spare): `clients` connecting `spacingMs` apart,
 * and `clients` at the same moment. Each round runs on a fresh supervisor whose pool is at rest and
 * whose start answers are learnt (what a host opening its servers meets; ~130 ms after the first
 * spare booted), preceded by a bare node start.
 */
export async function burst(
  bus: Bus,
  env: NodeJS.ProcessEnv,
  rounds: number,
  clients = 8,
  spacingMs = 300,
): Promise<BurstFigure> {
  const spaced: Opening[] = [];
  const simultaneous: Opening[] = [];
  const bare: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [into, spacing] of [
      [spaced, spacingMs],
      [simultaneous, 0],
    ] as const) {
      const sv = await startSupervisor(bus.address, env);
      try {
        await atRest(sv, 1, { answers: true });
        bare.push((await bareNodeStart()).ms);
        into.push(...(await burstRound(sv, clients, spacing)));
      } finally {
        await sv.stop();
      }
    }
  }
  return {
    spaced: figure(spaced, bare),
    simultaneous: figure(simultaneous, bare),
    rounds,
    clients,
    spacingMs,
  };
}

/**
 * Socket activation: `systemd-socket-activate` holds the socket, the service is not running; a
 * client connects (which starts `dbus-mcp serve`) and waits for `initialize` to be answered. The
 * service is stopped after each sample. `env` reaches the service through `-E` (as a user
 * manager passes only its own environment). One runtime directory and configuration for all
 * samples, as a user's service has from day to day, and each service runs until it has learnt its
 * start answers, as a day's service does: the first sample after a new build meets no start
 * answers stored by an earlier run (supervisor/start-answers-file.ts), the others do.
 */
export async function activation(
  busAddress: string,
  env: NodeJS.ProcessEnv,
  n: number,
): Promise<StartupFigure> {
  const samples: Opening[] = [];
  const bare: number[] = [];
  const dir = tempDir('bench-act');
  const socketPath = join(dir, 'dbus-mcp.sock');
  const configFile = join(dir, 'config');
  writeFileSync(configFile, '');
  for (let i = 0; i < n; i++) {
    rmSync(socketPath, { force: true });
    const vars: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DBUS_MCP_CONFIG: configFile,
      DBUS_MCP_SESSION_BUS_ADDRESS: busAddress,
      DBUS_MCP_SYSTEM_BUS_ADDRESS: busAddress,
      DBUS_MCP_LOG_LEVEL: 'warn',
      XDG_RUNTIME_DIR: dir,
      ...env,
    };
    const setenv = Object.entries(vars).flatMap(([k, v]) => (v === undefined ? [] : ['-E', `${k}=${v}`]));
    const proc = spawnTracked(
      'systemd-socket-activate',
      ['-l', socketPath, ...setenv, process.execPath, PROGRAM, 'serve'],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    try {
      await waitFor('the activation socket', () => (existsSync(socketPath) ? true : undefined), 10_000, proc);
      bare.push((await bareNodeStart()).ms);
      const opening = await openSession(socketPath);
      samples.push(opening);
      await opening.client.close();
      // A user's service runs long enough to learn its start answers (and store them for the
      // next day's first connection); so does this one before it is stopped.
      await waitFor(
        'the start answers learnt',
        async () => {
          const st = await readStatus(socketPath);
          return st.startAnswers === undefined || st.startAnswers === 'learnt' ? true : undefined;
        },
        30_000,
        proc,
      );
    } finally {
      // systemd-socket-activate execs the service in its own place: this stops the service.
      await stopChild(proc, 8000);
    }
  }
  return figure(samples, bare);
}

export interface ConnectStartFigure extends StartupFigure {
  rssMiB: number;
  bareRssMiB: number;
  rssRatio: number;
}

const maxRssMiB = (stderr: string): number => Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;

/**
 * `dbus-mcp connect` start → first byte relayed to stdout, and its peak RSS, against a bare
 * `node -e 0` (both with the same `--require` hook, which prints the peak RSS at exit). A stand-in
 * server writes a line on every connection, so the first byte is the bridge's, not a worker's.
 */
export async function connectStart(n: number): Promise<ConnectStartFigure> {
  const dir = tempDir('bench-connect');
  const hook = join(dir, 'report.cjs');
  writeFileSync(
    hook,
    "process.on('exit', () => require('fs').writeSync(2, `\\nMAXRSS ${process.resourceUsage().maxRSS}\\n`));\n",
  );
  const sock = join(dir, 's.sock');
  const server = net.createServer((c) => {
    c.on('error', () => {});
    c.write('{"jsonrpc":"2.0","method":"hello"}\n');
    c.on('end', () => c.end());
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  const one = () =>
    new Promise<{ ms: number; rssMiB: number }>((resolve, reject) => {
      const t = process.hrtime.bigint();
      let first: number | undefined;
      const child = spawn(process.execPath, ['--require', hook, PROGRAM, 'connect'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, DBUS_MCP_SOCKET_PATH: sock, DBUS_MCP_CONFIG: '/dev/null' },
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout.once('data', () => {
        first = msSince(t);
        child.stdin.end();
      });
      child.once('close', () =>
        first === undefined
          ? reject(new Error(`connect relayed nothing: ${err}`))
          : resolve({ ms: first, rssMiB: maxRssMiB(err) }),
      );
    });
  const samples: Array<{ ms: number; rssMiB: number }> = [];
  const bare: Array<{ ms: number; rssMiB: number }> = [];
  try {
    for (let i = 0; i < n; i++) {
      bare.push(await bareNodeStart(hook));
      samples.push(await one());
    }
  } finally {
    server.close();
  }
  const base = figure(
    samples,
    bare.map((b) => b.ms),
  );
  const rssMiB = summarize(samples.map((s) => s.rssMiB)).p50;
  const bareRssMiB = summarize(bare.map((b) => b.rssMiB)).p50;
  return {
    ...base,
    rssMiB: round(rssMiB, 1),
    bareRssMiB: round(bareRssMiB, 1),
    rssRatio: round(rssMiB / bareRssMiB, 2),
  };
}
