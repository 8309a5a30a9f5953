import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBuckets, clientLimits, serviceLimits } from '../../../src/shared/rate-buckets.js';
import { testConfig } from '../worker/policy/support.js';

const LIMITS = { notify: 2, screenshot: 6, mutating: 0 };

describe('TokenBuckets (per client and service-wide)', () => {
  it('takes up to the limit, then says when to retry; 0 is no limit', () => {
    let now = 1_000_000;
    const b = new TokenBuckets(LIMITS, { now: () => now });
    assert.deepEqual(b.take('notify'), { ok: true, limited: true });
    assert.deepEqual(b.peek('notify'), { ok: true, limited: true }, 'peek takes nothing');
    assert.deepEqual(b.take('notify'), { ok: true, limited: true });
    const refused = b.take('notify');
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.limit === 2 && refused.retryAfterMs === 30_000);
    for (let i = 0; i < 1000; i++) assert.deepEqual(b.take('mutating'), { ok: true, limited: false });
    now += 30_000;
    assert.equal(b.take('notify').ok, true, 'one token back after half a minute at 2 per minute');
    assert.equal(b.take('notify').ok, false);
  });

  it('a refund gives one token back, never beyond the limit', () => {
    const b = new TokenBuckets(LIMITS, { now: () => 0 });
    b.take('notify');
    b.take('notify');
    b.refund('notify');
    assert.equal(b.take('notify').ok, true);
    b.refund('notify');
    b.refund('notify');
    b.refund('notify');
    assert.equal(b.state().notify?.tokens, 2);
  });

  it('new limits (SIGHUP) keep the tokens, cut to the new capacity', () => {
    const b = new TokenBuckets(LIMITS, { now: () => 0 });
    b.take('screenshot');
    b.setLimits({ ...LIMITS, screenshot: 10 });
    assert.equal(b.state().screenshot?.tokens, 5, 'a higher limit does not refill');
    b.setLimits({ ...LIMITS, screenshot: 1 });
    assert.equal(b.state().screenshot?.tokens, 1);
  });

  it('imports state defensively: malformed entries ignored, values clamped, no future timestamps', () => {
    const b = new TokenBuckets(LIMITS, { now: () => 5000 });
    b.import({
      notify: { tokens: 99, updatedAt: 1 },
      screenshot: { tokens: -3, updatedAt: 1e15 },
      mutating: 'nonsense',
    });
    const s = b.state();
    assert.equal(s.notify?.tokens, 2);
    assert.equal(s.screenshot?.tokens, 0);
    assert.equal(s.screenshot?.updatedAt, 5000);
    assert.equal(s.mutating, undefined);
  });

  it('the service-wide limits default to the per-client ones, and each key overrides its own', () => {
    const plain = testConfig({ RATE_LIMIT_NOTIFY: '3' });
    assert.deepEqual(serviceLimits(plain), clientLimits(plain));
    const wide = testConfig({
      RATE_LIMIT_NOTIFY: '3',
      RATE_LIMIT_SERVICE_NOTIFY: '50',
      RATE_LIMIT_SERVICE_MUTATING: '0',
    });
    assert.equal(serviceLimits(wide).notify, 50);
    assert.equal(serviceLimits(wide).mutating, 0);
    assert.equal(serviceLimits(wide).screenshot, clientLimits(wide).screenshot);
  });
});
