import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SignalMessage } from '../../../../src/worker/dbus/types.js';
import { buildMatchRule, filterMatches, validateFilter } from '../../../../src/worker/signals/match-rule.js';
import { EventQueue } from '../../../../src/worker/signals/queue.js';

const msg = (over: Partial<SignalMessage> = {}): SignalMessage => ({
  sender: ':1.7',
  path: '/org/example/A/b',
  interface: 'org.example.I',
  member: 'Changed',
  signature: 's',
  body: ['x'],
  ...over,
});

test('buildMatchRule quotes every field and escapes apostrophes in arg0', () => {
  const f = validateFilter({
    bus: 'session',
    sender: 'org.example.S',
    path_namespace: '/org/example',
    interface: 'org.example.I',
    member: 'Changed',
    arg0: "it's",
  });
  assert.equal(
    buildMatchRule(f),
    "type='signal',sender='org.example.S',path_namespace='/org/example',interface='org.example.I',member='Changed',arg0='it'\\''s'",
  );
  assert.equal(buildMatchRule(validateFilter({ bus: 'system', path_namespace: '/' })), "type='signal'");
});

test('validateFilter names the field and the broken rule', () => {
  assert.throws(() => validateFilter({ bus: 'session', sender: 'no_dots' }), /invalid sender "no_dots"/);
  assert.throws(() => validateFilter({ bus: 'session', path: '/a//b' }), /INVALID|invalid path/);
  assert.throws(() => validateFilter({ bus: 'session', interface: 'a.1b' }), /invalid interface/);
  assert.throws(() => validateFilter({ bus: 'session', member: 'a.b' }), /invalid member/);
  assert.throws(
    () => validateFilter({ bus: 'session', path: '/a', path_namespace: '/a' }),
    /either path or path_namespace/,
  );
  assert.throws(() => validateFilter({ bus: 'session', arg0: 'a\0b' }), /NUL/);
  assert.throws(
    () => buildMatchRule(validateFilter({ bus: 'session', arg0: "'".repeat(500) })),
    /longer than 1024/,
  );
});

test('filterMatches applies every field locally, well-known senders through their owner', () => {
  const f = (o: object) => validateFilter({ bus: 'session', ...o });
  assert.ok(filterMatches(f({}), msg(), undefined));
  assert.ok(filterMatches(f({ sender: 'org.example.S' }), msg(), ':1.7'));
  assert.ok(!filterMatches(f({ sender: 'org.example.S' }), msg(), ':1.8'));
  assert.ok(filterMatches(f({ sender: ':1.7' }), msg(), undefined));
  assert.ok(filterMatches(f({ path_namespace: '/org/example/A' }), msg(), undefined));
  assert.ok(!filterMatches(f({ path_namespace: '/org/example/A/bc' }), msg(), undefined));
  assert.ok(
    !filterMatches(f({ path_namespace: '/org/example/Ab' }), msg({ path: '/org/example/A' }), undefined),
  );
  assert.ok(!filterMatches(f({ path: '/org/example/A' }), msg(), undefined));
  assert.ok(filterMatches(f({ arg0: 'x' }), msg(), undefined));
  assert.ok(!filterMatches(f({ arg0: 'x' }), msg({ signature: 'u', body: [1] }), undefined));
  assert.ok(!filterMatches(f({ member: 'Other' }), msg(), undefined));
});

test('EventQueue keeps the newest items, counts drops and resets the count on takeDropped', () => {
  const q = new EventQueue<number>(3);
  for (let i = 1; i <= 5000; i++) q.push(i);
  assert.equal(q.length, 3);
  assert.equal(q.dropped, 4997);
  assert.deepEqual(q.peek(10), [4998, 4999, 5000]);
  assert.deepEqual(q.take(2), [4998, 4999]);
  assert.equal(q.takeDropped(), 4997);
  assert.equal(q.dropped, 0);
  assert.deepEqual(q.take(5), [5000]);
  assert.equal(q.length, 0);
});
