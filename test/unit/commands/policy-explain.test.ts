import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AppError } from '../../../src/shared/errors.js';
import { parseExplainArgs } from '../../../src/commands/policy-explain.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'dbus-mcp-explain-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'policy', 'explain', ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        HOME: tmp,
        DBUS_MCP_CONFIG: '/dev/null',
        DBUS_MCP_POLICY_DIRS: '',
        ...env,
      },
      timeout: 30_000,
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dbus-mcp policy explain', () => {
  it('parses its arguments', () => {
    assert.deepEqual(
      parseExplainArgs([
        'explain',
        '--bus=system',
        '--service',
        'a.b',
        '--operation',
        'get',
        '--interface',
        'a.b.C',
      ]),
      {
        bus: 'system',
        service: 'a.b',
        path: '/',
        interface: 'a.b.C',
        member: '',
        access: 'getall',
        json: false,
      },
    );
    for (const bad of [
      [],
      ['frob'],
      ['explain'],
      ['explain', '--service', 'a.b', '--bus', 'both', '--member', 'X'],
      ['explain', '--service', 'a.b', '--operation', 'set', '--member', 'X'],
      ['explain', '--service', 'a.b', '--wat'],
    ]) {
      assert.throws(
        () => parseExplainArgs(bad),
        (e: unknown) => e instanceof AppError && e.code === 'USAGE',
        bad.join(' '),
      );
    }
  });

  it('prints decision, kind, level, reason and hint for a forbidden call', () => {
    const r = cli([
      '--bus',
      'system',
      '--service',
      'org.freedesktop.login1',
      '--path',
      '/org/freedesktop/login1',
      '--interface',
      'org.freedesktop.login1.Manager',
      '--member',
      'PowerOff',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^decision: deny$/m);
    assert.match(r.out, /^kind: +forbidden$/m);
    assert.match(r.out, /^level: +high$/m);
    assert.match(r.out, /forbidden at every level/);
  });

  it('names the rule and honours --safety-level, --json', () => {
    writeFileSync(join(tmp, '50-media.rules'), '# media\nallow session org.example.Player * * Frob\n');
    const r = cli(
      [
        '--bus',
        'session',
        '--service',
        'org.example.Player',
        '--interface',
        'org.example.Player',
        '--member',
        'Frob',
        '--json',
      ],
      {
        DBUS_MCP_POLICY_DIRS: tmp,
      },
    );
    assert.equal(r.code, 0, r.err);
    const x = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(x.decision, 'allow');
    assert.equal(x.rule, `${join(tmp, '50-media.rules')}:2: allow session org.example.Player * * Frob`);
    const low = cli([
      '--safety-level',
      'low',
      '--bus',
      'session',
      '--service',
      'a.b',
      '--interface',
      'a.b',
      '--member',
      'Frob',
    ]);
    assert.match(low.out, /^decision: allow$/m);
    assert.match(low.out, /^level: +low$/m);
  });

  it('a bad rule file exits 78 naming file:line', () => {
    writeFileSync(join(tmp, '99-bad.rules'), 'allow session a.b\nallow nowhere\n');
    const r = cli(['--bus', 'session', '--service', 'a.b', '--member', 'X'], { DBUS_MCP_POLICY_DIRS: tmp });
    assert.equal(r.code, 78);
    assert.match(r.err, new RegExp(`${join(tmp, '99-bad.rules')}:2: BUS 'nowhere'`));
  });
});
