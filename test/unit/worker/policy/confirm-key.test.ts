import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { variant } from '../../../../src/worker/dbus/values/index.js';
import { argumentsDigest, confirmationKey } from '../../../../src/worker/policy/confirm-key.js';
import type { OperationRequest, ResolvedOperation } from '../../../../src/worker/policy/resolve.js';

const REQ: OperationRequest = {
  bus: 'session',
  destination: 'com.example.App',
  path: '/com/example/App',
  interface: 'com.example.App',
  member: 'Frob',
  access: 'call',
  args: [1, 'x'.repeat(600)],
};

function op(
  overrides: Partial<ResolvedOperation> = {},
  body: unknown[] = [1, 'x'.repeat(600)],
  signature = 'us',
) {
  return {
    bus: 'session',
    destination: 'com.example.App',
    owner: ':1.7',
    names: ['com.example.App', ':1.7'],
    path: '/com/example/App',
    interface: 'com.example.App',
    member: 'Frob',
    access: 'call',
    message: { interface: 'com.example.App', member: 'Frob', signature, body },
    ...overrides,
  } as ResolvedOperation;
}

describe('the confirmation key: the full operation as it will be sent', () => {
  const base = confirmationKey(REQ, op());

  it('is the same for the same operation, whatever object identity', () => {
    assert.equal(confirmationKey({ ...REQ }, op()), base);
  });

  it('differs in every part of the operation', () => {
    const variants: [string, string][] = [
      ['bus', confirmationKey({ ...REQ, bus: 'system' }, op({ bus: 'system' }))],
      ['owner', confirmationKey(REQ, op({ owner: ':1.8' }))],
      ['path', confirmationKey({ ...REQ, path: '/other' }, op({ path: '/other' }))],
      [
        'interface',
        confirmationKey(
          REQ,
          op({
            message: {
              interface: 'com.example.Other',
              member: 'Frob',
              signature: 'us',
              body: [1, 'x'.repeat(600)],
            },
          }),
        ),
      ],
      [
        'member',
        confirmationKey(
          REQ,
          op({
            message: {
              interface: 'com.example.App',
              member: 'Frob2',
              signature: 'us',
              body: [1, 'x'.repeat(600)],
            },
          }),
        ),
      ],
      ['signature (same JSON, other D-Bus type)', confirmationKey(REQ, op({}, [1, 'x'.repeat(600)], 'is'))],
      [
        'an argument after the 512 characters shown',
        confirmationKey(REQ, op({}, [1, `${'x'.repeat(600)}y`])),
      ],
      ['a number spelled as text', confirmationKey(REQ, op({}, ['1', 'x'.repeat(600)]))],
      ['a variant around an argument', confirmationKey(REQ, op({}, [variant('u', 1), 'x'.repeat(600)]))],
      ['auto-start', confirmationKey({ ...REQ, autoStart: true }, op())],
    ];
    const seen = new Set([base]);
    for (const [what, key] of variants) {
      assert.notEqual(key, base, what);
      assert.ok(!seen.has(key), `${what} collides with another variant`);
      seen.add(key);
    }
  });

  it('the digest shown covers the full arguments, redacted ones included', () => {
    const a = argumentsDigest(REQ, op({}, ['password-one']));
    const b = argumentsDigest(REQ, op({}, ['password-two']));
    assert.match(a, /^sha256:[0-9a-f]{16}$/);
    assert.notEqual(a, b);
    assert.equal(a, argumentsDigest(REQ, op({}, ['password-one'])));
  });
});
