import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BootSlots, machineBootSlots } from '../../../src/supervisor/boot-slots.js';
import { FakeWorker, flush } from './fakes.js';

function created(): FakeWorker {
  const w = new FakeWorker();
  w.state = 'created';
  return w;
}

test('at most `slots` workers boot at once; the next starts when one has booted or failed, in order', async () => {
  const slots = new BootSlots(2);
  const [a, b, c, d] = [created(), created(), created(), created()];
  for (const w of [a, b, c, d]) slots.start(w);
  assert.deepEqual(
    [a, b, c, d].map((w) => w.started),
    [true, true, false, false],
  );
  assert.equal(slots.free(), false);
  assert.equal(slots.waiting, 2);

  b.boot();
  await flush();
  assert.deepEqual(
    [c, d].map((w) => w.started),
    [true, false],
  );

  a.failBoot(new Error('no'));
  await flush();
  assert.equal(d.started, true);
  assert.equal(slots.waiting, 0);

  c.boot();
  d.exit({ code: 1 });
  await flush();
  assert.equal(slots.free(), true);
});

test('a worker stopped while it waits for a slot is never started, and takes no slot', async () => {
  const slots = new BootSlots(1);
  const [a, b, c] = [created(), created(), created()];
  for (const w of [a, b, c]) slots.start(w);
  await b.stop();
  a.boot();
  await flush();
  assert.equal(b.started, false);
  assert.equal(c.started, true);
});

test('the machine gives at least one slot', () => {
  assert.ok(machineBootSlots() >= 1);
});
