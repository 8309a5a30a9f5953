import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SAFETY_LEVELS } from '../../../../src/shared/config.js';
import type { OperationKind } from '../../../../src/worker/policy/levels.js';
import {
  OPERATION_KINDS,
  describeLevels,
  levelAllows,
  lowestLevelAllowing,
} from '../../../../src/worker/policy/levels.js';

/** The full level × bus × kind matrix as ARCHITECTURE.md defines it. */
const EXPECTED: Record<string, OperationKind[]> = {
  'high session': ['read', 'notify', 'media'],
  'medium session': [
    'read',
    'notify',
    'media',
    'clipboard_read',
    'clipboard_write',
    'screenshot',
    'desktop_action',
    'property_write',
  ],
  'low session': [
    'read',
    'notify',
    'media',
    'clipboard_read',
    'clipboard_write',
    'screenshot',
    'desktop_action',
    'property_write',
    'call',
    'system_change',
  ],
  'high system': ['read'],
  'medium system': ['read'],
  'low system': ['read'],
};

describe('levels', () => {
  for (const level of SAFETY_LEVELS) {
    for (const bus of ['session', 'system'] as const) {
      for (const kind of OPERATION_KINDS) {
        const want = (EXPECTED[`${level} ${bus}`] as OperationKind[]).includes(kind);
        it(`${level} ${bus} ${kind} → ${want ? 'allowed' : 'refused'}`, () => {
          assert.equal(levelAllows(level, bus, kind), want);
        });
      }
    }
  }

  it('forbidden is allowed by no level on no bus', () => {
    assert.equal(lowestLevelAllowing('session', 'forbidden'), undefined);
    assert.equal(lowestLevelAllowing('system', 'forbidden'), undefined);
  });

  it('unknown mutating calls are refused at high and medium', () => {
    assert.equal(lowestLevelAllowing('session', 'call'), 'low');
    assert.equal(lowestLevelAllowing('system', 'call'), undefined);
  });

  it('describeLevels marks the active level and states the floor', () => {
    const text = describeLevels('medium');
    assert.match(text, /→ medium \(active\)/);
    assert.match(text, /Forbidden at every level/);
    assert.match(text, /deny wins/);
  });
});
