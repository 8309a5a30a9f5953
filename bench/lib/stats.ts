import { readFileSync } from 'node:fs';

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    mean: round(sum / Math.max(1, sorted.length)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Milliseconds elapsed since `start` (a `process.hrtime.bigint()` value). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** Times `n` sequential runs of `fn` (after `warmup` untimed ones); milliseconds per run. */
export async function timeSequential(
  n: number,
  warmup: number,
  fn: () => Promise<unknown>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(msSince(t));
  }
  return out;
}

/**
 * Times several calls in alternating blocks of `blockSize` sequential runs, `blocks` blocks each,
 * after `warmup` untimed runs of each: every call is measured over the same minutes as the others,
 * so a ratio of two of them is not the ratio of two machine states (bench/README.md, "Latency").
 */
export async function timeInterleaved<K extends string>(
  fns: Record<K, () => Promise<unknown>>,
  blocks: number,
  blockSize: number,
  warmup: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(fns) as K[];
  const out = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (const k of names) await timeSequential(0, warmup, fns[k]);
  for (let b = 0; b < blocks; b++) {
    for (const k of names) out[k].push(...(await timeSequential(blockSize, 0, fns[k])));
  }
  return out;
}

/** Runs `loops` closed loops of `fn` for `ms` milliseconds; completed calls per second. */
export async function throughput(loops: Array<() => Promise<unknown>>, ms: number): Promise<number> {
  let done = 0;
  const until = Date.now() + ms;
  const start = process.hrtime.bigint();
  await Promise.all(
    loops.map(async (fn) => {
      while (Date.now() < until) {
        await fn();
        done++;
      }
    }),
  );
  return round(done / (msSince(start) / 1000), 1);
}

/** Fields of /proc/PID/smaps_rollup in kB, or undefined when unreadable (the process is gone). */
function smapsRollup(pid: number): Record<string, number> | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Object.fromEntries([...text.matchAll(/^(\w+):\s+(\d+) kB/gm)].map((m) => [m[1], Number(m[2])]));
  } catch {
    return undefined;
  }
}

/**
 * Proportional set size of `pid` in MiB: private pages plus its share of pages mapped by several
 * processes — which includes unrelated node processes on the machine, so it moves with them.
 */
export function pssMiB(pid: number): number {
  const kb = smapsRollup(pid)?.Pss;
  return kb === undefined ? NaN : round(kb / 1024, 1);
}

/** Unique set size of `pid` in MiB (Private_Clean + Private_Dirty): what it costs on its own. */
export function ussMiB(pid: number): number {
  const r = smapsRollup(pid);
  return r === undefined ? NaN : round(((r.Private_Clean ?? 0) + (r.Private_Dirty ?? 0)) / 1024, 1);
}

/** Resident set size of `pid` in MiB (/proc/PID/status VmRSS), or NaN. */
export function rssMiB(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return round(Number(/^VmRSS:\s+(\d+) kB/m.exec(text)?.[1]) / 1024, 1);
  } catch {
    return NaN;
  }
}
