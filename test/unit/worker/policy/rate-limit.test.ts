import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter, bucketFor } from '../../../../src/worker/policy/rate-limit.js';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('rate limits', () => {
  it('maps kinds to buckets', () => {
    assert.equal(bucketFor('notify'), 'notify');
    assert.equal(bucketFor('screenshot'), 'screenshot');
    for (const k of [
      'media',
      'clipboard_write',
      'desktop_action',
      'property_write',
      'call',
      'system_change',
    ] as const) {
      assert.equal(bucketFor(k), 'mutating', k);
    }
    assert.equal(bucketFor('read'), undefined);
    assert.equal(bucketFor('clipboard_read'), undefined);
  });

  it('allows a burst of the per-minute limit, then says when to retry', () => {
    const c = clock();
    const rl = new RateLimiter({ notify: 3, screenshot: 1, mutating: 0 }, { now: c.now });
    for (let i = 0; i < 3; i++) assert.equal(rl.take('notify').ok, true);
    const limited = rl.take('notify');
    assert.equal(limited.ok, false);
    if (limited.ok) return;
    assert.equal(limited.retryAfterMs, 20_000);
    assert.match(limited.message, /at most 3 notify operations per minute.*retry in 20\.0 s/);
    // Other buckets are independent; 0 = no limit; reads never limited.
    assert.equal(rl.take('screenshot').ok, true);
    for (let i = 0; i < 1000; i++) assert.equal(rl.take('call').ok, true);
    assert.equal(rl.take('read').ok, true);
  });

  it('refills continuously and never above the limit', () => {
    const c = clock();
    const rl = new RateLimiter({ notify: 6, screenshot: 1, mutating: 1 }, { now: c.now });
    for (let i = 0; i < 6; i++) rl.take('notify');
    assert.equal(rl.peek('notify').ok, false);
    c.t += 9_999;
    assert.equal(rl.peek('notify').ok, false);
    c.t += 1;
    assert.equal(rl.take('notify').ok, true);
    assert.equal(rl.take('notify').ok, false);
    c.t += 3_600_000;
    for (let i = 0; i < 6; i++) assert.equal(rl.take('notify').ok, true, `token ${i}`);
    assert.equal(rl.take('notify').ok, false);
  });

  it('peek does not consume', () => {
    const rl = new RateLimiter({ notify: 1, screenshot: 1, mutating: 1 }, { now: clock().now });
    assert.equal(rl.peek('notify').ok, true);
    assert.equal(rl.peek('notify').ok, true);
    assert.equal(rl.take('notify').ok, true);
    assert.equal(rl.peek('notify').ok, false);
  });

  it('state survives export and import (a worker crash does not reset a limit)', () => {
    const c = clock();
    const a = new RateLimiter({ notify: 2, screenshot: 2, mutating: 2 }, { now: c.now });
    a.take('screenshot');
    a.take('screenshot');
    const json = JSON.parse(JSON.stringify(a.state()));
    assert.equal(json.version, 1);
    const b = new RateLimiter({ notify: 2, screenshot: 2, mutating: 2 }, { now: c.now, state: json });
    const limited = b.take('screenshot');
    assert.equal(limited.ok, false);
    c.t += 30_000;
    assert.equal(b.take('screenshot').ok, true);
  });

  it('import ignores malformed entries and clamps values', () => {
    const c = clock();
    const rl = new RateLimiter(
      { notify: 2, screenshot: 2, mutating: 2 },
      {
        now: c.now,
        state: {
          version: 1,
          buckets: {
            notify: { tokens: 1e9, updatedAt: c.t },
            screenshot: { tokens: Number.NaN, updatedAt: c.t },
            mutating: { tokens: -5, updatedAt: c.t + 1e9 },
          },
        },
      },
    );
    assert.equal(rl.take('notify').ok, true);
    assert.equal(rl.take('notify').ok, true);
    assert.equal(rl.take('notify').ok, false);
    assert.equal(rl.take('screenshot').ok, true);
    assert.equal(rl.take('call').ok, false);
  });

  it('lowering a limit caps the tokens at once', () => {
    const rl = new RateLimiter({ notify: 10, screenshot: 1, mutating: 1 }, { now: clock().now });
    rl.take('notify');
    rl.setLimits({ notify: 1, screenshot: 1, mutating: 1 });
    assert.equal(rl.take('notify').ok, true);
    assert.equal(rl.take('notify').ok, false);
  });
});
