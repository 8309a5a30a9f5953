import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOT_FACTOR, BootDeadline, STARTUP_FACTOR } from '../../../src/supervisor/boot-deadline.js';
import { RestartPolicy } from '../../../src/supervisor/restart-policy.js';

test('the no-progress deadline is the floor on a fast machine', () => {
  const d = new BootDeadline({ floorMs: 15_000, ceilingMs: 120_000, supervisorStartupMs: 200 });
  assert.deepEqual(d.budget(), { stallMs: 15_000, totalMs: 120_000 });
});

test('a slow start-up of the supervisor itself raises it', () => {
  const d = new BootDeadline({ floorMs: 15_000, ceilingMs: 120_000, supervisorStartupMs: 5000 });
  assert.equal(d.stallMs(), STARTUP_FACTOR * 5000);
});

test('slow boots raise it; a missed deadline doubles it until a boot works; the ceiling caps all', () => {
  const d = new BootDeadline({ floorMs: 1000, ceilingMs: 60_000, supervisorStartupMs: 100 });
  d.recordBoot(2000);
  assert.equal(d.stallMs(), BOOT_FACTOR * 2000);
  d.recordStall(6000);
  assert.equal(d.stallMs(), 12_000);
  d.recordStall(12_000);
  assert.equal(d.stallMs(), 24_000);
  d.recordStall(40_000);
  assert.equal(d.stallMs(), 60_000, 'capped at the ceiling');
  d.recordBoot(1000);
  assert.equal(d.stallMs(), BOOT_FACTOR * 2000, 'a boot that worked ends the doubling');
  assert.equal(d.describe().slowestBootMs, 2000);
});

test('a ceiling below the floor is lifted to the floor; reload changes both', () => {
  const d = new BootDeadline({ floorMs: 20_000, ceilingMs: 5000, supervisorStartupMs: 100 });
  assert.deepEqual(d.budget(), { stallMs: 20_000, totalMs: 20_000 });
  d.setLimits(2000, 9000);
  assert.deepEqual(d.budget(), { stallMs: 2000, totalMs: 9000 });
});

test('restart policy: one more try for a client never served, backoff and give-up for one that was', () => {
  const never = new RestartPolicy();
  assert.deepEqual(never.decide(false, 0), { action: 'restart', delayMs: 0, crashes: 1 });
  assert.deepEqual(never.decide(false, 1), { action: 'give-up', why: 'never-ready', crashes: 2 });
  const served = new RestartPolicy();
  const actions = [0, 1, 2, 3, 4, 5].map((t) => served.decide(true, t));
  assert.deepEqual(
    actions.slice(0, 5).map((a) => (a.action === 'restart' ? a.delayMs : -1)),
    [0, 100, 200, 400, 800],
  );
  assert.deepEqual(actions[5], { action: 'give-up', why: 'crash-loop', crashes: 6 });
});
