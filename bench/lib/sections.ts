import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Message } from 'dbus-next';
import type { Bus } from './procs.js';
import {
  GET_PROPERTY_ARGS,
  MOCK,
  matchRuleCount,
  spawnTracked,
  stopChild,
  uniqueNamesOfPid,
} from './procs.js';
import { RpcClient } from './rpc.js';
import type { Supervisor } from './serve.js';
import { waitFor } from './serve.js';
import type { Summary } from './stats.js';
import { atRest } from './startup.js';
import {
  msSince,
  pssMiB,
  round,
  rssMiB,
  summarize,
  throughput,
  timeInterleaved,
  timeSequential,
  ussMiB,
} from './stats.js';

/** Each figure of bench/README.md, measured by one function here; run.ts orders and prints them. */

const execFileP = promisify(execFile);

export { GET_PROPERTY_ARGS } from './procs.js';

/** The mock's property read as a D-Bus method call: what every raw figure sends. */
export const PROPERTIES_GET = {
  destination: MOCK.name,
  path: MOCK.path,
  interface: 'org.freedesktop.DBus.Properties',
  member: 'Get',
  signature: 'ss',
  body: [MOCK.iface, MOCK.property],
};

export function rawGet(bus: Bus): () => Promise<unknown> {
  return () => bus.conn.call(new Message(PROPERTIES_GET));
}

/** (1) Properties.Get through dbus-next in this process. */
export function rawLatency(bus: Bus, n: number, warmup: number): Promise<Summary> {
  return timeSequential(n, warmup, rawGet(bus)).then(summarize);
}

/** (2) `busctl --user get-property` as a process per call. */
export async function busctlLatency(bus: Bus, n: number): Promise<Summary> {
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address };
  const args = ['--user', 'get-property', MOCK.name, MOCK.path, MOCK.iface, MOCK.property];
  const samples = await timeSequential(n, 2, async () => {
    const { stdout } = await execFileP('busctl', args, { env });
    if (!stdout.includes('1.2.3')) throw new Error(`busctl answered ${stdout}`);
  });
  return summarize(samples);
}

export async function initializedClient(sv: Supervisor): Promise<RpcClient> {
  const client = await RpcClient.connect(sv.socketPath);
  await client.initialize();
  return client;
}

/**
 * (3) get_property through socket + supervisor + worker, one request at a time, on a new client:
 * the `warmup` first calls (its worker is a warmed-up spare, but V8 has not optimised this
 * client's path yet) are summarised apart from the `n` after them. Then the same client and the raw
 * call alternate in blocks (`interleave`), which is what the ≤ 3× target is judged on: the raw
 * call's time on this host is bimodal between runs (bench/README.md, "Latency").
 */
export async function toolLatency(
  bus: Bus,
  sv: Supervisor,
  n: number,
  warmup: number,
  interleave: { blocks: number; blockSize: number },
): Promise<{
  steady: Summary;
  firstCalls: Summary | undefined;
  ping: Summary;
  interleaved: { raw: Summary; tool: Summary; blocks: number; blockSize: number };
}> {
  const client = await initializedClient(sv);
  const call = () => client.callTool('get_property', GET_PROPERTY_ARGS);
  try {
    const first = await timeSequential(warmup, 0, call);
    const steady = summarize(await timeSequential(n, 0, call));
    // MCP `ping` takes the same path without a tool, the policy or D-Bus: the relay and the SDK.
    const ping = summarize(await timeSequential(n, warmup, () => client.request('ping', {})));
    const { blocks, blockSize } = interleave;
    const side = await timeInterleaved({ raw: rawGet(bus), tool: call }, blocks, blockSize, warmup);
    return {
      steady,
      firstCalls: first.length > 0 ? summarize(first) : undefined,
      ping,
      interleaved: { raw: summarize(side.raw), tool: summarize(side.tool), blocks, blockSize },
    };
  } finally {
    await client.close();
  }
}

/** (4) Aggregate calls/s: 4 clients (one closed loop each) vs 4 closed loops of raw dbus-next calls. */
export async function aggregateThroughput(
  bus: Bus,
  sv: Supervisor,
  ms: number,
  warmupCalls: number,
  clients = 4,
): Promise<{ toolCallsPerS: number; rawCallsPerS: number; rawOneLoopPerS: number; ratio: number }> {
  const raw = rawGet(bus);
  await throughput(
    Array.from({ length: clients }, () => raw),
    Math.min(500, ms),
  );
  const rawCallsPerS = await throughput(
    Array.from({ length: clients }, () => raw),
    ms,
  );
  // For reading the ratio: one raw loop, i.e. what a single sequential dbus-next client achieves.
  const rawOneLoopPerS = await throughput([raw], ms);
  const conns = await Promise.all(Array.from({ length: clients }, () => initializedClient(sv)));
  try {
    const loops = conns.map((c) => () => c.callTool('get_property', GET_PROPERTY_ARGS));
    // Steady state, as for the raw loops: the clients beyond the first got cold-forked workers and
    // the spare pool refills behind them (a fork and a warm-up each), so let that finish and warm
    // every client's worker up one at a time before the clock starts.
    await sv.sparesIdle(1);
    for (const loop of loops) for (let i = 0; i < warmupCalls; i++) await loop();
    await throughput(loops, Math.min(500, ms));
    const toolCallsPerS = await throughput(loops, ms);
    return { toolCallsPerS, rawCallsPerS, rawOneLoopPerS, ratio: round(toolCallsPerS / rawCallsPerS) };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

async function settled(sv: Supervisor, spares: number): Promise<void> {
  await waitFor(
    'clients gone',
    async () => ((await sv.status()).clients.length === 0 ? true : undefined),
    15_000,
  );
  await sv.sparesIdle(spares);
}

/** (5) connect → `initialize` answered, a fresh connection per sample, spares refilled in between. */
export async function connectLatency(sv: Supervisor, spares: number, n: number): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    await settled(sv, spares);
    const t = process.hrtime.bigint();
    const client = await RpcClient.connect(sv.socketPath);
    await client.initialize();
    samples.push(msSince(t));
    await client.close();
  }
  return summarize(samples);
}

async function workerOf(sv: Supervisor): Promise<number> {
  return waitFor(
    'a ready worker',
    async () => {
      const c = (await sv.status()).clients.find((x) => x.state === 'ready');
      return c?.workerPid ?? undefined;
    },
    10_000,
  );
}

/** (6) kill -9 of the client's worker → the next get_property answered (retrying crash errors). */
export async function crashRecovery(
  sv: Supervisor,
  n: number,
): Promise<Summary & { failedRequestsPerCrash: number }> {
  const samples: number[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    await settled(sv, 1);
    const client = await initializedClient(sv);
    await client.callTool('get_property', GET_PROPERTY_ARGS);
    const pid = await workerOf(sv);
    await sv.sparesIdle(1);
    const t = process.hrtime.bigint();
    process.kill(pid, 'SIGKILL');
    for (;;) {
      const answer = await client.callTool('get_property', GET_PROPERTY_ARGS, true);
      if (!answer.error && !answer.result?.isError) break;
      if (answer.error?.code !== -32603)
        throw new Error(`unexpected answer after crash: ${JSON.stringify(answer)}`);
      failed++;
    }
    samples.push(msSince(t));
    await client.close();
  }
  return { ...summarize(samples), failedRequestsPerCrash: round(failed / Math.max(1, n), 2) };
}

export interface MemoryFigure {
  clients: number;
  /**
   * `steady`: each client connected once the spare pool was at rest (clients arriving over time,
   * each finding a booted spare); `burst`: all of them at the same moment (their workers forked
   * then, most from the worker snapshot).
   */
  arrival: 'steady' | 'burst';
  /** Spare workers alive while the clients idled (the pool keeps none a client could not use). */
  spares: number;
  /** Medians over the `clients` workers, each attached, 50 calls served, then idle (3 s). */
  idleWorkerPssMiB: number;
  idleWorkerUssMiB: number;
  idleWorkerRssMiB: number;
  spareWorkerPssMiB: number;
  supervisorPssMiB: number;
  supervisorUssMiB: number;
  bareNodePssMiB: number;
  bareNodeUssMiB: number;
  bareNodeRssMiB: number;
  /** Σ PSS of the supervisor, every worker and the spare(s): what they occupy together. */
  totalPssMiB: number;
  /**
   * Upper bound for the same: Σ private memory plus the largest shared part once (the node binary
   * and the bundle's pages are shared by every process). This is what MemoryMax is compared with.
   */
  totalUpperBoundMiB: number;
  /** Σ PSS of the same processes measured again after `settledMs` idle (V8's memory reducer waits 8 s). */
  settledTotalPssMiB?: number;
  settledMs?: number;
}

const median = (xs: number[]): number => summarize(xs).p50;

/**
 * (7) Memory with `clients` clients connected for real (default 16, MAX_CLIENTS): PSS/USS/RSS of
 * the idle workers, the spare, the supervisor, and a bare `node -e` process for comparison.
 */
export async function memory(
  sv: Supervisor,
  clients = 16,
  idleMs = 3000,
  arrival: MemoryFigure['arrival'] = 'steady',
  settledMs = 0,
): Promise<MemoryFigure> {
  const conns: RpcClient[] = [];
  try {
    if (arrival === 'burst') {
      conns.push(...(await Promise.all(Array.from({ length: clients }, () => initializedClient(sv)))));
    } else {
      for (let i = 0; i < clients; i++) {
        await atRest(sv, undefined, { clients: i });
        conns.push(await initializedClient(sv));
      }
    }
    for (const c of conns) for (let i = 0; i < 50; i++) await c.callTool('get_property', GET_PROPERTY_ARGS);
    // Whatever spares the pool keeps with this many clients, booted (none past MAX_CLIENTS).
    const st = await waitFor(
      'the spare pool settled',
      async () => {
        const s = await sv.status();
        return s.spareWorkers.every((w) => w.state === 'idle') ? s : undefined;
      },
      30_000,
    );
    await new Promise((r) => setTimeout(r, idleMs));
    const workers = st.clients.map((c) => c.workerPid).filter((p): p is number => p !== null);
    if (workers.length !== clients) throw new Error(`${workers.length} workers for ${clients} clients`);
    const spares = st.spareWorkers.map((w) => w.pid);
    const bare = spawnTracked(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const all = [sv.pid, ...workers, ...spares];
    const out: MemoryFigure = {
      clients,
      arrival,
      spares: spares.length,
      idleWorkerPssMiB: median(workers.map(pssMiB)),
      idleWorkerUssMiB: median(workers.map(ussMiB)),
      idleWorkerRssMiB: median(workers.map(rssMiB)),
      spareWorkerPssMiB: spares.length > 0 ? median(spares.map(pssMiB)) : NaN,
      supervisorPssMiB: pssMiB(sv.pid),
      supervisorUssMiB: ussMiB(sv.pid),
      bareNodePssMiB: pssMiB(bare.pid ?? -1),
      bareNodeUssMiB: ussMiB(bare.pid ?? -1),
      bareNodeRssMiB: rssMiB(bare.pid ?? -1),
      totalPssMiB: round(
        all.map(pssMiB).reduce((a, b) => a + b, 0),
        1,
      ),
      totalUpperBoundMiB: round(
        all.map(ussMiB).reduce((a, b) => a + b, 0) + Math.max(...all.map((p) => rssMiB(p) - ussMiB(p))),
        1,
      ),
    };
    await stopChild(bare);
    if (settledMs > idleMs) {
      await new Promise((r) => setTimeout(r, settledMs - idleMs));
      out.settledMs = settledMs;
      out.settledTotalPssMiB = round(
        all.map(pssMiB).reduce((a, b) => a + b, 0),
        1,
      );
    }
    return out;
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

/** Pings on their own connection every `everyMs` until stopped: the supervisor's stall, seen from outside. */
export function pingProbe(client: RpcClient, everyMs = 10): { stop(): Promise<Summary> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = process.hrtime.bigint();
      await client.request('ping');
      samples.push(msSince(t));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return summarize(samples);
    },
  };
}

/** The largest `event loop delay` maxMs the supervisor logged for the window [from, to + 1.1 s]. */
function loopMax(sv: Supervisor, from: number, to: number): number | null {
  const lines = sv.logs.filter(
    (l) =>
      l.msg === 'event loop delay' && typeof l.time === 'number' && l.time >= from && l.time <= to + 1100,
  );
  return lines.length ? Math.max(...lines.map((l) => Number(l.maxMs))) : null;
}

/** Baseline for (8): the same probes over `ms` with nothing big going on. */
export async function idleLoop(
  sv: Supervisor,
  ms = 3000,
): Promise<{ supervisorLoopMaxMs: number | null; ping: Summary }> {
  const prober = await initializedClient(sv);
  try {
    const probe = pingProbe(prober);
    const from = Date.now();
    await new Promise((r) => setTimeout(r, ms));
    const to = Date.now();
    const ping = await probe.stop();
    await new Promise((r) => setTimeout(r, 1100));
    return { supervisorLoopMaxMs: loopMax(sv, from, to), ping };
  } finally {
    await prober.close();
  }
}

export interface ListObjectsFigure {
  service: string;
  maxObjects: number;
  durationMs: number;
  method: string;
  count: number;
  truncated: boolean;
  truncatedReason?: string;
  answerBytes: number;
  pingDuring: Summary;
  supervisorLoopMaxMs: number | null;
}

/** (8) list_objects on a big tree, with a concurrent ping probe and the supervisor's loop-delay log. */
export async function listObjects(
  sv: Supervisor,
  service: string,
  maxObjects: number,
): Promise<ListObjectsFigure> {
  // A fresh client and worker per run, so no introspection cache from an earlier run helps.
  const [client, prober] = await Promise.all([initializedClient(sv), initializedClient(sv)]);
  try {
    const probe = pingProbe(prober);
    await new Promise((r) => setTimeout(r, 50));
    const wallStart = Date.now();
    const t = process.hrtime.bigint();
    const answer = await client.callTool('list_objects', {
      bus: 'session',
      service,
      path: '/com/example/Tree',
      max_objects: maxObjects,
    });
    const durationMs = round(msSince(t), 1);
    const answerBytes = client.lastLineBytes;
    const wallEnd = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    const pingDuring = await probe.stop();
    // Loop-delay lines cover the second before their timestamp: wait for the one after the call.
    await new Promise((r) => setTimeout(r, 1100));
    const sc = (answer.result?.structuredContent ?? {}) as Record<string, unknown>;
    return {
      service,
      maxObjects,
      durationMs,
      method: String(sc.method),
      count: Number(sc.count),
      truncated: sc.truncated === true,
      ...(typeof sc.truncated_reason === 'string' ? { truncatedReason: sc.truncated_reason } : {}),
      answerBytes,
      pingDuring,
      supervisorLoopMaxMs: loopMax(sv, wallStart, wallEnd),
    };
  } finally {
    await Promise.all([client.close(), prober.close()]);
  }
}

export interface SoakSample {
  at: number;
  rssMiB: number;
  matchRules: number;
}

export interface SoakFigure {
  calls: number;
  cycles: number;
  durationS: number;
  callSamples: SoakSample[];
  cycleSamples: SoakSample[];
  /** Median RSS of the last quarter of the samples minus that of the first quarter, MiB (rssGrowth). */
  rssGrowthCallsMiB: number;
  rssGrowthCyclesMiB: number;
  matchRulesBefore: number;
  matchRulesAfter: number;
  maxMatchRulesDuringCycles: number;
}

/**
 * RSS growth over a phase: the median of its last quarter of samples minus the median of its first
 * quarter. RSS saw-tooths with every GC by several MiB; a leak moves the whole saw.
 */
function rssGrowth(samples: SoakSample[]): number {
  const q = Math.max(1, Math.floor(samples.length / 4));
  const median = (xs: SoakSample[]) => {
    const sorted = xs.map((x) => x.rssMiB).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
  };
  return round(median(samples.slice(-q)) - median(samples.slice(0, q)), 1);
}

/** (9) Soak on one client: get_property calls (4 in flight), then subscribe/unsubscribe cycles. */
export async function soak(bus: Bus, sv: Supervisor, calls: number, cycles: number): Promise<SoakFigure> {
  const started = process.hrtime.bigint();
  const client = await initializedClient(sv);
  try {
    await client.callTool('get_property', GET_PROPERTY_ARGS);
    const workerPid = await workerOf(sv);
    const [unique] = await uniqueNamesOfPid(bus, workerPid);
    if (!unique) throw new Error(`worker ${workerPid} has no connection on the bus`);
    const sample = async (at: number): Promise<SoakSample> => ({
      at,
      rssMiB: rssMiB(workerPid),
      matchRules: await matchRuleCount(bus, unique),
    });
    const matchRulesBefore = await matchRuleCount(bus, unique);
    const step = Math.max(1, Math.floor(calls / 20));
    const callSamples: SoakSample[] = [];
    for (let done = 0; done < calls;) {
      const chunk = Math.min(step, calls - done);
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < chunk) {
            next++;
            await client.callTool('get_property', GET_PROPERTY_ARGS);
          }
        }),
      );
      done += chunk;
      callSamples.push(await sample(done));
    }
    const cycleStep = Math.max(1, Math.floor(cycles / 20));
    const cycleSamples: SoakSample[] = [];
    let maxDuring = 0;
    for (let i = 1; i <= cycles; i++) {
      const sub = await client.callTool('subscribe_signals', {
        bus: 'session',
        sender: MOCK.name,
        path: MOCK.path,
        interface: MOCK.iface,
        member: 'Changed',
      });
      const id = (sub.result?.structuredContent as { subscription_id?: string } | undefined)?.subscription_id;
      if (!id) throw new Error(`subscribe_signals gave no id: ${JSON.stringify(sub.result)}`);
      if (i % cycleStep === 0) maxDuring = Math.max(maxDuring, await matchRuleCount(bus, unique));
      await client.callTool('unsubscribe_signals', { subscription_id: id });
      if (i % cycleStep === 0 || i === cycles) cycleSamples.push(await sample(i));
    }
    const lastCycle = cycleSamples[cycleSamples.length - 1];
    return {
      calls,
      cycles,
      durationS: round(msSince(started) / 1000, 1),
      callSamples,
      cycleSamples,
      rssGrowthCallsMiB: rssGrowth(callSamples),
      rssGrowthCyclesMiB: rssGrowth(cycleSamples),
      matchRulesBefore,
      matchRulesAfter: lastCycle?.matchRules ?? NaN,
      maxMatchRulesDuringCycles: maxDuring,
    };
  } finally {
    await client.close();
  }
}
