import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const heapModule = pathToFileURL(new URL('../../../src/shared/heap.ts', import.meta.url).pathname).href;

/** Runs `body` in a fresh node (real V8, no flags unless given) with heap.ts imported; returns its JSON line. */
function inNode(body: string, flags: string[] = []): Record<string, number> {
  const script = `import * as heap from ${JSON.stringify(heapModule)}; import v8 from 'node:v8';\n${body}`;
  const out = execFileSync(
    process.execPath,
    [...flags, '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

// Survivors that keep the scavenger promoting: what makes V8 grow the young generation.
const churn = `let keep = []; for (let i = 0; i < 300000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 20000) keep = keep.slice(10000); }`;
const newSpace = `v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size`;

test('keepYoungGenerationSmall stops the new space growing from the size it has', () => {
  const run = (hold: boolean) =>
    inNode(
      `${hold ? 'heap.keepYoungGenerationSmall();' : ''} const start = ${newSpace};\n${churn}\nconsole.log(JSON.stringify({ start, end: ${newSpace} }));`,
    );
  const grown = run(false);
  const held = run(true);
  assert.ok(
    grown.end! >= grown.start! + (4 << 20),
    `without it the new space grows: ${grown.start} → ${grown.end}`,
  );
  assert.ok(held.end! <= held.start!, `held: ${held.start} → ${held.end}`);
});

test('reduceHeap gives back what a full collection keeps (the idle young generation, part-empty pages), and the process still exits', () => {
  // A session's calls in small: survivors promoted, most of them dropped, and garbage in the young generation.
  const fragment = `${churn}\nkeep = null; for (let i = 0; i < 20000; i++) [i, { i }];`;
  const measure = (how: 'gc' | 'reduce') =>
    inNode(
      `${fragment}\n${how === 'gc' ? 'gc(); await new Promise((r) => setImmediate(r));' : 'const done = await heap.reduceHeap();'}\nconsole.log(JSON.stringify({ after: heap.committedHeapBytes(), newSpace: ${newSpace}${how === 'reduce' ? ', done: done ? 1 : 0' : ''} }));`,
      ['--expose-gc', '--max-semi-space-size=1', '--single-threaded'],
    );
  const collected = measure('gc');
  const reduced = measure('reduce');
  assert.equal(reduced.done, 1, 'this node has the inspector');
  assert.ok(
    reduced.newSpace! < collected.newSpace!,
    `the young generation shrinks: ${reduced.newSpace} bytes against ${collected.newSpace} after gc()`,
  );
  assert.ok(
    reduced.after! + (512 << 10) <= collected.after!,
    `committed heap: ${reduced.after} bytes against ${collected.after} after gc()`,
  );
});

test('reduceHeap can be called again, and resolves when done', () => {
  const r = inNode(
    `const a = await heap.reduceHeap(); const b = await heap.reduceHeap();\nconsole.log(JSON.stringify({ a: a ? 1 : 0, b: b ? 1 : 0 }));`,
  );
  assert.deepEqual(r, { a: 1, b: 1 });
});
