import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainSlowBoot } from '../../../src/supervisor/cpu-quota.js';

const deadline = { stallMs: 30_000, totalMs: 120_000 };
const quota = (percent: number) => ({ percent, file: '/sys/fs/cgroup/app.slice/cpu.max' });

describe('explainSlowBoot: the advice follows the quota in force', () => {
  test('under the shipped 50% on 2 CPUs: raise it, to a value above the current one', () => {
    const text = explainSlowBoot(deadline, quota(50), 2);
    assert.match(text, /CPU quota of 50% \(\/sys\/fs\/cgroup\/app\.slice\/cpu\.max\)/);
    assert.match(text, /CPUQuota=100%\) or raise the boot deadline WORKER_BOOT_TIMEOUT_MIN_MS/);
  });

  test('a quota of 150% on 4 CPUs is raised to 300%', () => {
    assert.match(explainSlowBoot(deadline, quota(150), 4), /set-property \S+ CPUQuota=300%\)/);
  });

  test('a quota already at what the machine has is not the advice; the deadlines are', () => {
    const text = explainSlowBoot(deadline, quota(200), 2);
    assert.doesNotMatch(text, /set-property/);
    assert.match(text, /CPUQuota= is not what holds it back; raise the boot deadline/);
    assert.match(text, /now 30000 ms.*now 120000 ms/s);
  });

  test('without a quota it says so and names only the deadlines', () => {
    const text = explainSlowBoot(deadline, undefined, 1);
    assert.match(text, /1 CPU, no CPU quota found/);
    assert.doesNotMatch(text, /set-property/);
  });
});
