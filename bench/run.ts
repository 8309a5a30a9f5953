/**
 * dbus-mcp benchmark (`npm run bench`, or `node --import tsx bench/run.ts [--quick]`): starts a
 * private session bus, a python3-dbusmock service with a property and two object-tree services,
 * then measures every figure of issue 6 side by side with its baseline in the same run, prints a
 * table and writes bench/results/<timestamp>.json. Method and figures: bench/README.md.
 *
 * Sizes come from the environment (defaults = the numbers; --quick = a fast smoke run):
 * BENCH_SAMPLES, BENCH_WARMUP, BENCH_INTERLEAVED_BLOCKS, BENCH_BUSCTL_SAMPLES, BENCH_THROUGHPUT_MS,
 * BENCH_CONNECT_SAMPLES, BENCH_CRASH_SAMPLES, BENCH_TREE_OBJECTS, BENCH_SOAK_CALLS, BENCH_SOAK_CYCLES,
 * BENCH_MEMORY_CLIENTS, BENCH_BURST_ROUNDS, BENCH_ACTIVATION_SAMPLES, BENCH_CONNECT_START_SAMPLES,
 * BENCH_SKIP (comma separated section names to leave out: latency, breakdown, throughput, connect,
 * cold, burst, activation, connect-start, crash, memory, objects, soak).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT, cleanup, startBus, startObjectTree, startPropertyMock, tempDir } from './lib/procs.js';
import type { Supervisor } from './lib/serve.js';
import { PROGRAM, startSupervisor } from './lib/serve.js';
import type { ListObjectsFigure } from './lib/sections.js';
import {
  aggregateThroughput,
  busctlLatency,
  connectLatency,
  crashRecovery,
  idleLoop,
  listObjects,
  memory,
  rawLatency,
  soak,
  toolLatency,
} from './lib/sections.js';
import { designFloor, inProcessLayers, relayFloor } from './lib/breakdown.js';
import { round } from './lib/stats.js';
import type { StartupFigure } from './lib/startup.js';
import { activation, atRest, burst, coldWorker, connectStart } from './lib/startup.js';

const quick = process.argv.includes('--quick');
/** Other work on the machine skews every figure: recorded with the results. */
const LOAD_AT_START = os.loadavg().map((x) => round(x, 2));

function size(name: string, full: number, small: number): number {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
    return n;
  }
  return quick ? small : full;
}

const SIZES = {
  samples: size('BENCH_SAMPLES', 2000, 100),
  warmup: size('BENCH_WARMUP', 300, 50),
  /** Blocks of 100 raw calls and 100 tool calls, alternating (the ≤ 3× verdict). */
  interleavedBlocks: size('BENCH_INTERLEAVED_BLOCKS', 20, 2),
  busctlSamples: size('BENCH_BUSCTL_SAMPLES', 50, 10),
  throughputMs: size('BENCH_THROUGHPUT_MS', 5000, 500),
  connectSamples: size('BENCH_CONNECT_SAMPLES', 20, 3),
  burstRounds: size('BENCH_BURST_ROUNDS', 3, 1),
  activationSamples: size('BENCH_ACTIVATION_SAMPLES', 10, 2),
  connectStartSamples: size('BENCH_CONNECT_START_SAMPLES', 21, 3),
  crashSamples: size('BENCH_CRASH_SAMPLES', 10, 2),
  treeObjects: size('BENCH_TREE_OBJECTS', 5000, 200),
  soakCalls: size('BENCH_SOAK_CALLS', 100_000, 1000),
  soakCycles: size('BENCH_SOAK_CYCLES', 5000, 50),
  memoryClients: size('BENCH_MEMORY_CLIENTS', 16, 4),
};
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const MEMORY_MAX_MIB = 512;
/** Issue 16: Σ PSS of the service with 16 idle clients (¾ of MemoryMax, well under MemoryHigh=448M). */
const MEMORY_TARGET_MIB = 384;

interface Row {
  figure: string;
  measured: string;
  baseline: string;
  target: string;
  met: boolean | null;
}

const rows: Row[] = [];
const results: Record<string, unknown> = {};

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function section<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (SKIP.has(name)) return undefined;
  log(`${name}…`);
  const t = Date.now();
  const value = await fn();
  log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return value;
}

function objectsRow(label: string, f: ListObjectsFigure): void {
  const stall = f.supervisorLoopMaxMs;
  rows.push({
    figure: `list_objects ${label}, max_objects=${f.maxObjects}`,
    measured: `${f.durationMs} ms, ${f.count} objects${f.truncated ? ' (truncated)' : ''}, ${round(f.answerBytes / 1024, 0)} KiB; supervisor loop max ${stall ?? '?'} ms; ping p50/max ${f.pingDuring.p50}/${f.pingDuring.max} ms`,
    baseline: '—',
    target: 'bounded; loop stall ≤ 50 ms',
    met: stall !== null && stall <= 50 && f.count <= f.maxObjects,
  });
}

/**
 * What the clients of a start-up figure waited for after `initialize`: `tools/list` (answered by
 * the supervisor while a worker boots, supervisor/start-answers.ts) and their first tool call
 * (which needs their worker). Information: the targets judge `initialize`.
 */
function openingRow(label: string, f: StartupFigure): Row {
  return {
    figure: `${label}: connect → tools/list, → first get_property answered, p50 / max (ms)`,
    measured: `${f.toolsList?.p50} / ${f.toolsList?.max}; ${f.firstCall?.p50} / ${f.firstCall?.max}`,
    baseline: `bare node -e 0: ${f.bare.p50}`,
    target: `(information) first call p50 is ${f.firstCallRatio}× bare`,
    met: null,
  };
}

async function main(): Promise<void> {
  log(
    `sizes ${JSON.stringify(SIZES)}${quick ? ' (--quick)' : ''}; program ${PROGRAM}; load ${LOAD_AT_START.join(' ')}`,
  );
  const bus = await startBus();
  await startPropertyMock(bus);
  // One cache directory for every supervisor of the run (what ~/.cache/dbus-mcp is to a user's
  // service): the worker snapshot built by the first one is found by the next ones.
  const baseEnv: NodeJS.ProcessEnv = { XDG_CACHE_HOME: tempDir('bench-cache') };
  const serve = (env: NodeJS.ProcessEnv = {}) => startSupervisor(bus.address, { ...baseEnv, ...env });
  let sv: Supervisor = await serve();
  await sv.sparesIdle(1);

  await section('latency', async () => {
    const raw = await rawLatency(bus, SIZES.samples, SIZES.warmup);
    const busctl = await busctlLatency(bus, SIZES.busctlSamples);
    const {
      steady: tool,
      firstCalls,
      ping,
      interleaved,
    } = await toolLatency(bus, sv, SIZES.samples, SIZES.warmup, {
      blocks: SIZES.interleavedBlocks,
      blockSize: 100,
    });
    const vsRaw = round(tool.p50 / raw.p50, 2);
    const vsBusctl = round(busctl.p50 / tool.p50, 1);
    const sideBySide = round(interleaved.tool.p50 / interleaved.raw.p50, 2);
    results.latency = {
      raw,
      busctl,
      tool,
      firstCalls,
      ping,
      interleaved,
      toolOverRawP50: vsRaw,
      toolOverRawInterleavedP50: sideBySide,
      busctlOverToolP50: vsBusctl,
    };
    rows.push({
      figure: 'get_property round trip p50 / p99 (ms), raw calls interleaved',
      measured: `${interleaved.tool.p50} / ${interleaved.tool.p99} (n=${interleaved.tool.n})`,
      baseline: `raw dbus-next ${interleaved.raw.p50} / ${interleaved.raw.p99}, in alternating blocks of ${interleaved.blockSize}`,
      target: `≤ 3× raw p50 (is ${sideBySide}×)`,
      met: sideBySide <= 3,
    });
    rows.push({
      figure: 'the same, raw and tool each measured on its own (raw first)',
      measured: `${tool.p50} / ${tool.p99} (n=${tool.n})`,
      baseline: `raw dbus-next ${raw.p50} / ${raw.p99}`,
      target: `(information: ${vsRaw}×; the raw call is bimodal between runs)`,
      met: null,
    });
    rows.push({
      figure: 'the same vs busctl per call',
      measured: `${tool.p50} ms`,
      baseline: `busctl ${busctl.p50} / ${busctl.p99} ms (n=${busctl.n})`,
      target: `≥ 10× faster (is ${vsBusctl}×)`,
      met: vsBusctl >= 10,
    });
    rows.push({
      figure: 'MCP ping round trip (socket, supervisor, worker, SDK; no tool, no D-Bus)',
      measured: `p50 ${ping.p50} / p99 ${ping.p99} ms`,
      baseline: '—',
      target: '(information: the relay and SDK share of the round trip)',
      met: null,
    });
    if (firstCalls) {
      const vsSteady = round(firstCalls.p50 / tool.p50, 2);
      rows.push({
        figure: `get_property, first ${firstCalls.n} calls of a new client, p50 / p99 (ms)`,
        measured: `${firstCalls.p50} / ${firstCalls.p99}`,
        baseline: `the same client's steady state ${tool.p50} / ${tool.p99}`,
        target: `p50 ≤ 1.5× steady p50 (is ${vsSteady}×)`,
        met: vsSteady <= 1.5,
      });
    }
  });

  await section('breakdown', async () => {
    const layers = await inProcessLayers(bus, SIZES.samples, SIZES.warmup);
    const relay = await relayFloor(SIZES.samples, SIZES.warmup);
    const floor = await designFloor(bus, SIZES.interleavedBlocks, SIZES.warmup);
    results.breakdown = { ...layers, relayFloor: relay, designFloor: floor };
    const raw = layers.rawDbusNext?.p50 ?? NaN;
    const labels: Record<string, string> = {
      rawDbusNext: 'in one process: raw dbus-next Properties.Get',
      busConnection: 'in one process: + our BusConnection.call',
      toolHandler: 'in one process: + the get_property handler (policy, queue, result)',
      sdkInMemory: 'in one process: + the SDK (tools/call over an in-memory transport)',
    };
    for (const [key, label] of Object.entries(labels)) {
      const l = layers[key];
      if (!l) continue;
      rows.push({
        figure: label,
        measured: `p50 ${l.p50} ms (${round(l.p50 / raw, 2)}× raw); CPU ${l.cpuMs} ms/call`,
        baseline: key === 'rawDbusNext' ? '—' : `raw ${raw} ms`,
        target: '(information: where the time goes)',
        met: null,
      });
    }
    rows.push({
      figure: 'bare Node relay: socket → fork IPC → child answers at once',
      measured: `p50 ${relay.p50} / p99 ${relay.p99} ms`,
      baseline: '—',
      target: '(information: the floor of the two extra hops)',
      met: null,
    });
    rows.push({
      figure: "this design's floor: the same relay, its child making the raw call (no SDK, tool or policy)",
      measured: `p50 ${floor.floor.p50} / p99 ${floor.floor.p99} ms`,
      baseline: `raw dbus-next ${floor.raw.p50} / ${floor.raw.p99}, in alternating blocks of 100`,
      target: `(information: ${round(floor.floor.p50 / floor.raw.p50, 2)}× raw before any MCP work)`,
      met: null,
    });
  });

  await section('throughput', async () => {
    const t = await aggregateThroughput(bus, sv, SIZES.throughputMs, SIZES.warmup);
    results.throughput = t;
    rows.push({
      figure: 'aggregate calls/s, 4 clients',
      measured: `${t.toolCallsPerS}/s`,
      baseline: `raw dbus-next, 4 loops: ${t.rawCallsPerS}/s (1 loop: ${t.rawOneLoopPerS}/s)`,
      target: `(information: ${round(t.ratio * 100, 0)} % of raw; the 25 % target was retired)`,
      met: null,
    });
  });

  await section('memory', async () => {
    // A fresh supervisor: clients arriving one by one at a service at rest (after the sections
    // before, its pool would still be in a burst's window, its spares started from the snapshot).
    await sv.stop();
    sv = await serve();
    await atRest(sv);
    const m = await memory(sv, SIZES.memoryClients, quick ? 500 : 3000, 'steady', quick ? 0 : 20_000);
    results.memory = { ...m, memoryMaxMiB: MEMORY_MAX_MIB };
    rows.push({
      figure: 'idle worker PSS (MiB)',
      measured: `${m.idleWorkerPssMiB} (USS ${m.idleWorkerUssMiB}, RSS ${m.idleWorkerRssMiB}; spare PSS ${m.spareWorkerPssMiB})`,
      baseline: `bare node -e: PSS ${m.bareNodePssMiB} (USS ${m.bareNodeUssMiB}, RSS ${m.bareNodeRssMiB})`,
      target: '≤ 45 MiB',
      met: m.idleWorkerPssMiB <= 45,
    });
    rows.push({
      figure: `${m.clients} idle clients (arrived one by one): Σ PSS of the service (MiB)`,
      measured: `${m.totalPssMiB} (supervisor ${m.supervisorPssMiB}, ${m.spares} spare(s))`,
      baseline: `bare node -e: ${m.bareNodePssMiB}`,
      target: `≤ ${MEMORY_TARGET_MIB} MiB`,
      met: m.totalPssMiB <= MEMORY_TARGET_MIB,
    });
    rows.push({
      figure: `${m.clients} idle clients: upper bound (Σ private + largest shared) (MiB)`,
      measured: `${m.totalUpperBoundMiB}`,
      baseline: '—',
      target: `≤ MemoryMax=${MEMORY_MAX_MIB}M`,
      met: m.totalUpperBoundMiB <= MEMORY_MAX_MIB,
    });
    if (m.settledTotalPssMiB !== undefined) {
      rows.push({
        figure: `${m.clients} idle clients (one by one), ${(m.settledMs ?? 0) / 1000} s idle: Σ PSS (MiB)`,
        measured: `${m.settledTotalPssMiB}`,
        baseline: `3 s idle: ${m.totalPssMiB}`,
        target: `(information: after V8's memory reducer)`,
        met: null,
      });
    }
    // The same clients arriving at once: their workers are forked for waiting clients, from the
    // worker snapshot, which costs memory for their lifetime (bench/README.md, "Cold workers").
    await atRest(sv);
    const b = await memory(sv, SIZES.memoryClients, quick ? 500 : 3000, 'burst');
    results.memoryBurst = b;
    rows.push({
      figure: `${b.clients} idle clients (arrived at once): Σ PSS; upper bound (MiB)`,
      measured: `${b.totalPssMiB}; ${b.totalUpperBoundMiB} (worker PSS ${b.idleWorkerPssMiB}, USS ${b.idleWorkerUssMiB})`,
      baseline: `bare node -e: ${b.bareNodePssMiB}`,
      target: `(information; ≤ MemoryMax=${MEMORY_MAX_MIB}M)`,
      met: b.totalUpperBoundMiB <= MEMORY_MAX_MIB,
    });
    await atRest(sv);
  });

  await section('crash', async () => {
    const c = await crashRecovery(sv, SIZES.crashSamples);
    results.crash = c;
    rows.push({
      figure: 'worker kill -9 → next request answered',
      measured: `p50 ${c.p50} ms, max ${c.max} ms (n=${c.n})`,
      baseline: '—',
      target: '≤ 50 ms with a spare',
      met: c.p50 <= 50,
    });
  });

  await section('connect', async () => {
    const warm = await connectLatency(sv, 1, SIZES.connectSamples);
    results.connect = { withSpare: warm };
    rows.push({
      figure: 'connect → initialize answered with a spare, p50 / p99 (ms)',
      measured: `${warm.p50} / ${warm.p99}`,
      baseline: '—',
      target: '≤ 20 ms',
      met: warm.p50 <= 20,
    });
  });

  await section('cold', async () => {
    await sv.stop();
    sv = await serve({ DBUS_MCP_SPARE_WORKERS: '0' });
    try {
      const f = await coldWorker(sv, SIZES.connectSamples);
      results.coldWorker = f;
      rows.push({
        figure: 'cold worker: connect → initialize answered, SPARE_WORKERS=0, p50 / max (ms)',
        measured: `${f.samples.p50} / ${f.samples.max} (n=${f.samples.n})`,
        baseline: `bare node -e 0: ${f.bare.p50}`,
        target: `p50 ≤ 2× bare (is ${f.p50Ratio}×)`,
        met: f.p50Ratio <= 2,
      });
      rows.push(openingRow('cold worker, the same clients', f));
    } finally {
      await sv.stop();
      sv = await serve();
      await sv.sparesIdle(1);
    }
  });

  await section('burst', async () => {
    const f = await burst(bus, baseEnv, SIZES.burstRounds);
    results.burst = f;
    for (const [label, g] of [
      [`${f.clients} clients ${f.spacingMs} ms apart`, f.spaced],
      [`${f.clients} clients at the same moment`, f.simultaneous],
    ] as const) {
      rows.push({
        figure: `burst, ${label}, default settings: connect → initialize p50 / max (ms)`,
        measured: `${g.samples.p50} / ${g.samples.max} (n=${g.samples.n}, ${f.rounds} round(s))`,
        baseline: `bare node -e 0: ${g.bare.p50}`,
        target: `p50 ≤ 2×, max ≤ 4× bare (is ${g.p50Ratio}×, ${g.maxRatio}×)`,
        met: g.p50Ratio <= 2 && g.maxRatio <= 4,
      });
      rows.push(openingRow(`burst, ${label}, the same clients`, g));
    }
  });

  await section('activation', async () => {
    const f = await activation(bus.address, baseEnv, SIZES.activationSamples);
    results.activation = f;
    rows.push({
      figure: 'socket activation: first connection → initialize answered, p50 / max (ms)',
      measured: `${f.samples.p50} / ${f.samples.max} (n=${f.samples.n})`,
      baseline: `bare node -e 0: ${f.bare.p50}`,
      target: `p50 ≤ 3× bare (is ${f.p50Ratio}×)`,
      met: f.p50Ratio <= 3,
    });
    rows.push(openingRow('socket activation, the same clients', f));
  });

  await section('connect-start', async () => {
    const f = await connectStart(SIZES.connectStartSamples);
    results.connectStart = f;
    rows.push({
      figure: 'dbus-mcp connect: start → first byte relayed, p50 (ms); peak RSS (MiB)',
      measured: `${f.samples.p50}; ${f.rssMiB} (n=${f.samples.n})`,
      baseline: `bare node -e 0: ${f.bare.p50}; ${f.bareRssMiB}`,
      target: `≤ 1.2× bare, RSS ≤ 1.2× (is ${f.p50Ratio}×, ${f.rssRatio}×)`,
      met: f.p50Ratio <= 1.2 && f.rssRatio <= 1.2,
    });
  });

  await section('objects', async () => {
    await startObjectTree(bus, 'com.example.TreeOM', SIZES.treeObjects, true);
    await startObjectTree(bus, 'com.example.TreeWalk', SIZES.treeObjects, false);
    const idle = await idleLoop(sv, quick ? 1000 : 3000);
    rows.push({
      figure: 'supervisor loop delay, nothing big running',
      measured: `loop max ${idle.supervisorLoopMaxMs ?? '?'} ms; ping p50/max ${idle.ping.p50}/${idle.ping.max} ms`,
      baseline: '—',
      target: '(baseline for list_objects)',
      met: null,
    });
    const figures: ListObjectsFigure[] = [];
    for (const [label, service] of [
      ['ObjectManager', 'com.example.TreeOM'],
      ['plain tree (walk)', 'com.example.TreeWalk'],
    ] as const) {
      for (const max of quick ? [1000] : [1000, 10_000]) {
        const f = await listObjects(sv, service, max);
        figures.push(f);
        objectsRow(label, f);
      }
    }
    results.listObjects = { objects: SIZES.treeObjects, idle, figures };
  });

  await section('soak', async () => {
    const s = await soak(bus, sv, SIZES.soakCalls, SIZES.soakCycles);
    results.soak = s;
    const rulesFlat =
      s.matchRulesAfter === s.matchRulesBefore && s.maxMatchRulesDuringCycles <= s.matchRulesBefore + 1;
    rows.push({
      figure: `soak: ${s.calls} calls, ${s.cycles} subscribe/unsubscribe (${s.durationS} s)`,
      measured: `RSS growth ${s.rssGrowthCallsMiB} MiB (calls), ${s.rssGrowthCyclesMiB} MiB (cycles); match rules ${s.matchRulesBefore} → ${s.matchRulesAfter} (max ${s.maxMatchRulesDuringCycles})`,
      baseline: '—',
      target: 'RSS and match rules flat',
      met: rulesFlat && s.rssGrowthCallsMiB <= 8 && s.rssGrowthCyclesMiB <= 8,
    });
  });

  await sv.stop();
  printTable();
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const cpus = os.cpus();
  const doc = {
    date: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model,
      totalMemMiB: round(os.totalmem() / 2 ** 20, 0),
      kernel: os.release(),
    },
    node: process.version,
    program: PROGRAM,
    loadAverage: { atStart: LOAD_AT_START, atEnd: os.loadavg().map((x) => round(x, 2)) },
    sizes: SIZES,
    rows,
    results,
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`\nresults written to ${file}`);
}

function printTable(): void {
  const head: Row = {
    figure: 'figure',
    measured: 'measured',
    baseline: 'baseline (same run)',
    target: 'target',
    met: null,
  };
  const cells = (r: Row) => [
    r.figure,
    r.measured,
    r.baseline,
    r.target,
    r === head ? 'met' : r.met === null ? '—' : r.met ? 'yes' : 'NO',
  ];
  const all = [head, ...rows].map(cells);
  const widths = all[0]?.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length))) ?? [];
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ');
  console.log(
    `\ndbus-mcp bench — ${os.cpus().length} CPUs, node ${process.version}${quick ? ' (--quick)' : ''}`,
  );
  all.forEach((c, i) => {
    console.log(line(c));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  });
}

const interrupted = (signal: NodeJS.Signals) => {
  log(`${signal}: cleaning up`);
  void cleanup().finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    console.error('bench failed:', err);
    await cleanup();
    process.exit(1);
  });
