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
    {
      encoding: 'utf8',
    },
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

test('compactHeap gives back part-empty pages that a plain full collection keeps', () => {
  // Every other object of a large old-generation array dropped: half-full pages.
  const fragment = `let objs = []; for (let i = 0; i < 400000; i++) objs.push({ i, pad: [i, i, i] }); gc(); objs = objs.filter((_, i) => i % 4 === 0); gc();`;
  const measure = (compact: boolean) =>
    inNode(
      `${fragment}\nconst before = heap.committedHeapBytes(); ${compact ? 'heap.compactHeap(gc)' : 'gc()'}; const after = heap.committedHeapBytes();\nconsole.log(JSON.stringify({ before, after, kept: objs.length }));`,
      ['--expose-gc', '--max-semi-space-size=1', '--single-threaded'],
    );
  const plain = measure(false);
  const compacted = measure(true);
  const freedPlain = plain.before! - plain.after!;
  const freedCompacted = compacted.before! - compacted.after!;
  assert.ok(
    freedCompacted > freedPlain + (2 << 20),
    `compacting frees more: ${freedCompacted} bytes against ${freedPlain} for a plain collection`,
  );
});

test('exposedGc gives a full collection in a process started without --expose-gc', () => {
  const r = inNode(
    `let o = { big: new Array(1000).fill(1) }; const ref = new WeakRef(o); o = null;\nawait new Promise((r) => setImmediate(r));\nconst before = typeof globalThis.gc; heap.exposedGc()();\nconsole.log(JSON.stringify({ hadGc: before === 'function' ? 1 : 0, collected: ref.deref() === undefined ? 1 : 0 }));`,
  );
  assert.deepEqual(r, { hadGc: 0, collected: 1 });
});
