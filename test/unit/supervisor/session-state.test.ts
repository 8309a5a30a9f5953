import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrashCounter, MAX_CRASHES } from '../../../src/supervisor/restart-policy.js';
import { HandshakeCache, InFlightTable } from '../../../src/supervisor/session-state.js';

test('crash backoff doubles and gives up past MAX_CRASHES within the window', () => {
  const c = new CrashCounter();
  const delays: number[] = [];
  let last = { crashes: 0, delayMs: 0, giveUp: false };
  for (let i = 0; i <= MAX_CRASHES; i++) {
    last = c.record(1000 + i);
    delays.push(last.delayMs);
  }
  assert.deepEqual(delays.slice(0, MAX_CRASHES), [0, 100, 200, 400, 800]);
  assert.equal(last.giveUp, true);
  // A crash long after the others starts over.
  assert.deepEqual(c.record(1_000_000), { crashes: 1, delayMs: 0, giveUp: false });
});

test('the handshake replay re-ids requests and keeps the notification', () => {
  const h = new HandshakeCache();
  assert.deepEqual(h.replay(), []);
  h.record({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
  h.record({ jsonrpc: '2.0', method: 'notifications/initialized' });
  h.record({ jsonrpc: '2.0', id: 2, method: 'logging/setLevel', params: { level: 'info' } });
  h.record({ jsonrpc: '2.0', id: 3, method: 'logging/setLevel', params: { level: 'debug' } });
  const steps = h.replay() as Array<{ id?: unknown; method: string; params?: { level?: string } }>;
  assert.deepEqual(
    steps.map((s) => s.method),
    ['initialize', 'notifications/initialized', 'logging/setLevel'],
  );
  assert.match(String(steps[0]?.id), /^dbus-mcp-replay-/);
  assert.equal(steps[1]?.id, undefined);
  assert.equal(steps[2]?.params?.level, 'debug');
});

test('the in-flight table refuses duplicate ids and hands over only what was sent', () => {
  const t = new InFlightTable();
  assert.ok(t.add(1, 'a'));
  assert.ok(t.add('1', 'b'), 'string and number ids differ');
  assert.ok(!t.add(1, 'c'));
  t.markSent(1);
  assert.deepEqual(
    t.take((p) => p.sent).map((p) => p.id),
    [1],
  );
  assert.equal(t.size, 1);
  assert.ok(t.settle('1'));
  assert.equal(t.size, 0);
});
