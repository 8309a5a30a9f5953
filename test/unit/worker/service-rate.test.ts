import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ToSupervisorWire } from '../../../src/shared/ipc.js';
import { SupervisorRate } from '../../../src/worker/service-rate.js';

describe('SupervisorRate: the service-wide token asked of the supervisor', () => {
  it('matches answers to questions by id, and ignores late ones', async () => {
    const sent: ToSupervisorWire[] = [];
    const rate = new SupervisorRate((m) => sent.push(m));
    const a = rate.rate('notify');
    const b = rate.rate('mutating');
    assert.deepEqual(sent, [
      { t: 'rate-take', id: 1, bucket: 'notify' },
      { t: 'rate-take', id: 2, bucket: 'mutating' },
    ]);
    rate.answer({ t: 'rate-answer', id: 2, ok: false, limit: 3, retryAfterMs: 500 });
    rate.answer({ t: 'rate-answer', id: 1, ok: true });
    assert.deepEqual(await a, { ok: true });
    assert.deepEqual(await b, { ok: false, limit: 3, retryAfterMs: 500 });
    rate.answer({ t: 'rate-answer', id: 1, ok: false });
  });

  it('refuses when the supervisor does not answer in time, or the request is cancelled', async () => {
    const rate = new SupervisorRate(() => {}, 50);
    const late = await rate.rate('notify');
    assert.equal(late.ok, false);
    assert.match(late.ok ? '' : (late.message ?? ''), /did not answer within 50 ms/);
    const abort = new AbortController();
    const cancelled = rate.rate('notify', abort.signal);
    abort.abort();
    assert.equal((await cancelled).ok, false);
  });
});
