import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SAFETY_LEVELS } from '../../../../src/shared/config.js';
import { AppError } from '../../../../src/shared/errors.js';
import { validateTarget } from '../../../../src/worker/gate/gate.js';
import type { Attack } from './redteam-support.js';
import { call, forbiddenEverywhere, judge } from './redteam-support.js';

/**
 * Red team, the spelling and argument side (docs/SECURITY-REVIEW.md "shapes"): other cases of an interface
 * name, Properties calls with odd arguments, rules that ask instead of allow, names that are not
 * D-Bus names at all. The unique-name and introspection doors need a bus: see
 * test/integration/redteam-shapes.test.ts.
 */

const refused: Attack[] = [
  {
    what: 'a curated interface in another case',
    ref: 'docs/SECURITY.md "interface names are compared case-insensitively"',
    req: call(
      'system',
      'org.freedesktop.login1',
      '/org/freedesktop/login1',
      'ORG.FREEDESKTOP.LOGIN1.MANAGER',
      'PowerOff',
      [false],
    ),
  },
  {
    what: 'Properties.Set through call_method on an interface whose writes are forbidden (PackageKit)',
    ref: 'docs/SECURITY.md "Properties … sent through call_method is judged as the property write"',
    req: call(
      'system',
      'org.freedesktop.PackageKit',
      '/org/freedesktop/PackageKit',
      'org.freedesktop.DBus.Properties',
      'Set',
      ['org.freedesktop.PackageKit', 'Locked', { signature: 'b', value: true }],
    ),
  },
  {
    what: 'the same with the named interface in another case',
    ref: 'docs/SECURITY.md',
    req: call(
      'system',
      'org.freedesktop.PackageKit',
      '/org/freedesktop/PackageKit',
      'org.freedesktop.DBus.Properties',
      'Set',
      ['ORG.FREEDESKTOP.PACKAGEKIT', 'Locked', { signature: 'b', value: true }],
    ),
  },
  {
    what: 'Properties.Set on a bus-driver property (forbidden writes)',
    ref: 'src/worker/policy/curated-system.ts org.freedesktop.DBus writeDefault',
    req: call(
      'session',
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.Properties',
      'Set',
      ['org.freedesktop.DBus', 'Features', { signature: 'as', value: [] }],
    ),
  },
];

describe('redteam: shapes — refused today (regression guards)', () => {
  forbiddenEverywhere(refused);

  it('an ask rule for everything never opens the floor (no confirmation is even asked)', async () => {
    for (const level of SAFETY_LEVELS) {
      const j = await judge(
        call(
          'system',
          'org.freedesktop.login1',
          '/org/freedesktop/login1',
          'org.freedesktop.login1.Manager',
          'PowerOff',
          [false],
        ),
        level,
        'ask * * * * *\nallow * * * * *',
      );
      assert.deepEqual(
        { allowed: j.allowed, code: j.code, kind: j.kind },
        { allowed: false, code: 'POLICY_DENIED', kind: 'forbidden' },
      );
      assert.doesNotMatch(j.reason, /confirmation/);
    }
  });

  it('Properties.Set whose interface argument is not a string is refused, not judged as something else', async () => {
    for (const level of SAFETY_LEVELS) {
      const j = await judge(
        call(
          'system',
          'org.freedesktop.PackageKit',
          '/org/freedesktop/PackageKit',
          'org.freedesktop.DBus.Properties',
          'Set',
          [{ signature: 's', value: 'org.freedesktop.PackageKit' }, 'Locked', true],
        ),
        level,
      );
      assert.equal(j.allowed, false, j.reason);
      assert.match(j.reason, /judged on the interface it names/);
    }
  });

  for (const member of ['reboot-system', 'power.off', 'Power Off', '']) {
    it(`a member that is not a D-Bus member name (${JSON.stringify(member)}) is refused before anything is judged or sent`, () => {
      assert.throws(
        () =>
          validateTarget(
            call('session', 'com.example.Daemon', '/com/example/Daemon', 'com.example.Daemon', member),
          ),
        (e: unknown) => e instanceof AppError && e.code === 'INVALID_MEMBER_NAME',
      );
    });
  }
});
