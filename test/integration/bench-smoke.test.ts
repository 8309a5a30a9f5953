import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { programPath } from '../helpers/supervisor.js';

const execFileP = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');

// The harness runs end to end on tiny sizes: every section, the table, the JSON file. No figure is
// judged here (no timing assertion belongs in `npm test`); bench/README.md has the real run.
test('bench harness runs with --quick and writes its JSON results', { timeout: 120_000 }, async () => {
  programPath(); // builds dist/dbus-mcp.mjs when missing
  const { stdout } = await execFileP(
    process.execPath,
    ['--import', 'tsx', join('bench', 'run.ts'), '--quick'],
    {
      cwd: ROOT,
      timeout: 110_000,
      env: {
        ...process.env,
        BENCH_SAMPLES: '30',
        BENCH_WARMUP: '5',
        BENCH_BUSCTL_SAMPLES: '3',
        BENCH_THROUGHPUT_MS: '200',
        BENCH_CONNECT_SAMPLES: '2',
        BENCH_CRASH_SAMPLES: '1',
        BENCH_TREE_OBJECTS: '50',
        BENCH_SOAK_CALLS: '200',
        BENCH_SOAK_CYCLES: '10',
        BENCH_MEMORY_CLIENTS: '2',
      },
    },
  );
  const written = /results written to (\S+\.json)/.exec(stdout)?.[1];
  assert.ok(written, `no results path in:\n${stdout}`);
  try {
    const doc = JSON.parse(readFileSync(written, 'utf8')) as {
      quick: boolean;
      rows: unknown[];
      results: object;
    };
    assert.equal(doc.quick, true);
    assert.ok(doc.rows.length >= 10, 'one row per figure');
    for (const key of [
      'latency',
      'breakdown',
      'throughput',
      'memory',
      'crash',
      'connect',
      'listObjects',
      'soak',
    ]) {
      assert.ok(key in doc.results, `results.${key}`);
    }
  } finally {
    rmSync(written, { force: true });
  }
});
