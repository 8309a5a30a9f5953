import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AppError } from '../../../../src/shared/errors.js';
import { decide } from '../../../../src/worker/policy/decide.js';
import type { OperationRequest } from '../../../../src/worker/policy/resolve.js';
import { loadRules, matchRules, parseRules } from '../../../../src/worker/policy/rules.js';
import { testConfig } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'dbus-mcp-rules-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function parseError(text: string): string {
  try {
    parseRules(text, 'test.rules');
  } catch (e) {
    assert.ok(e instanceof AppError, 'e instanceof AppError');
    assert.equal(e.code, 'POLICY_RULE_INVALID');
    return e.message;
  }
  assert.fail('expected a parse error');
}

describe('rule parsing', () => {
  it('reads verbs, fields, comments and fills omitted fields with *', () => {
    const rules = parseRules(
      '# a comment\n\nallow session org.mpris.MediaPlayer2.vlc   # trailing comment\ndeny system * /x org.a.B Mem\nask * a.b',
      'f.rules',
    );
    assert.equal(rules.length, 3);
    assert.deepEqual(
      rules.map((r) => [r.verb, r.bus, r.destination, r.path, r.interface, r.member, r.source]),
      [
        ['allow', 'session', 'org.mpris.MediaPlayer2.vlc', '*', '*', '*', 'f.rules:3'],
        ['deny', 'system', '*', '/x', 'org.a.B', 'Mem', 'f.rules:4'],
        ['ask', '*', 'a.b', '*', '*', '*', 'f.rules:5'],
      ],
    );
  });

  it('names file:line and what is wrong', () => {
    assert.match(parseError('\n\npermit session a.b'), /^test\.rules:3: unknown verb 'permit'/);
    assert.match(parseError('allow'), /^test\.rules:1: 'allow' needs at least a BUS/);
    assert.match(parseError('allow bus a.b'), /^test\.rules:1: BUS 'bus' is not session, system or \*/);
    assert.match(
      parseError('allow session a.b relative'),
      /^test\.rules:1: PATH 'relative' is not an object path glob/,
    );
    assert.match(parseError('deny session a.b / a-b.c'), /INTERFACE 'a-b\.c'/);
    assert.match(parseError('deny session a.b / a.c M.x'), /MEMBER 'M\.x'/);
    assert.match(parseError('deny session a/b'), /DESTINATION 'a\/b'/);
    assert.match(parseError('allow session a / b c d e'), /^test\.rules:1: too many fields \(8\)/);
  });

  it('globs match any run of characters, dots and slashes included', () => {
    const [rule] = parseRules('allow session org.mpris.* /org/* org.mpris.MediaPlayer2* *', 'f');
    const target = {
      bus: 'session' as const,
      names: [':1.7', 'org.mpris.MediaPlayer2.vlc.instance2'],
      path: '/org/mpris/MediaPlayer2',
      interface: 'org.mpris.MediaPlayer2.Player',
      member: 'Play',
    };
    assert.ok(rule, 'rule');
    assert.equal(matchRules([rule], [target]).allow, rule);
    assert.equal(matchRules([rule], [{ ...target, bus: 'system' }]).allow, undefined);
  });

  it('loads *.rules from POLICY_DIRS in order, files sorted, ~ expanded, missing dirs skipped', () => {
    const home = join(tmp, 'home');
    const user = join(home, '.config', 'dbus-mcp', 'policy.d');
    const sys = join(tmp, 'etc');
    mkdirSync(user, { recursive: true });
    mkdirSync(sys, { recursive: true });
    writeFileSync(join(sys, 'b.rules'), 'deny session b.b\n');
    writeFileSync(join(sys, 'a.rules'), 'deny session a.a\n');
    writeFileSync(join(sys, 'ignored.conf'), 'nonsense\n');
    writeFileSync(join(user, 'z.rules'), 'allow session z.z\n');
    const config = testConfig({ POLICY_DIRS: `${sys}:/nonexistent/dir:~/.config/dbus-mcp/policy.d` });
    const rules = loadRules(config, { HOME: home });
    assert.deepEqual(
      rules.map((r) => r.destination),
      ['a.a', 'b.b', 'z.z'],
    );
    assert.equal(rules[2]?.source, `${user}/z.rules:1`);
  });

  it('a bad line in a rule file stops loading with file:line', () => {
    const dir = join(tmp, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, '10-x.rules'), 'allow session a.b\nallow sesion c.d\n');
    assert.throws(
      () => loadRules(testConfig({ POLICY_DIRS: dir }), {}),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'POLICY_RULE_INVALID' &&
        e.message.startsWith(`${join(dir, '10-x.rules')}:2: BUS 'sesion'`),
    );
  });
});

describe('rules refine the level', () => {
  const call = (over: Partial<OperationRequest> = {}): OperationRequest => ({
    bus: 'session',
    destination: 'org.mpris.MediaPlayer2.vlc',
    path: '/org/mpris/MediaPlayer2',
    interface: 'org.mpris.MediaPlayer2.Player',
    member: 'Play',
    access: 'call',
    ...over,
  });
  const opts = (rules: string, level: 'high' | 'medium' | 'low' = 'high') => ({
    level,
    rules: parseRules(rules, 'p.rules'),
    askKinds: new Set<never>(),
  });

  it('deny beats allow, whatever the order', async () => {
    const d = await decide(
      call(),
      undefined,
      opts('allow session org.mpris.*\ndeny session org.mpris.MediaPlayer2.vlc'),
    );
    assert.equal(d.verdict, 'deny');
    assert.equal(d.rule?.source, 'p.rules:2');
    assert.match(d.hint ?? '', /deny rule at p\.rules:2/);
  });

  it('deny a whole service, reads included', async () => {
    const d = await decide(
      call({ member: 'GetAll', access: 'getall' }),
      undefined,
      opts('deny session org.mpris.MediaPlayer2.vlc'),
    );
    assert.equal(d.verdict, 'deny');
  });

  it('allow opens what the level closes', async () => {
    const req = call({ destination: 'com.example.App', interface: 'com.example.App', member: 'DoThing' });
    assert.equal((await decide(req, undefined, opts(''))).verdict, 'deny');
    const d = await decide(
      req,
      undefined,
      opts('allow session com.example.App /org/mpris/* com.example.App DoThing'),
    );
    assert.equal(d.verdict, 'allow');
    assert.equal(d.rule?.source, 'p.rules:1');
  });

  it('allow opens the system bus for a unit', async () => {
    const req: OperationRequest = {
      bus: 'system',
      destination: 'org.freedesktop.systemd1',
      path: '/org/freedesktop/systemd1/unit/nginx_2eservice',
      interface: 'org.freedesktop.systemd1.Unit',
      member: 'Restart',
      access: 'call',
      args: ['replace'],
    };
    const closed = await decide(req, undefined, opts('', 'low'));
    assert.equal(closed.verdict, 'deny');
    assert.match(
      closed.hint ?? '',
      /allow system org\.freedesktop\.systemd1 \/org\/freedesktop\/systemd1\/unit\/nginx_2eservice/,
    );
    const open = await decide(
      req,
      undefined,
      opts(
        'allow system org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/nginx_2eservice org.freedesktop.systemd1.Unit',
      ),
    );
    assert.equal(open.verdict, 'allow');
  });

  it('a unit-path rule also covers the Manager methods naming that unit', async () => {
    const rule = 'allow system org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/nginx_2eservice';
    const req = (unit: string): OperationRequest => ({
      bus: 'system',
      destination: 'org.freedesktop.systemd1',
      path: '/org/freedesktop/systemd1',
      interface: 'org.freedesktop.systemd1.Manager',
      member: 'RestartUnit',
      access: 'call',
      args: [unit, 'replace'],
    });
    assert.equal((await decide(req('nginx.service'), undefined, opts(rule))).verdict, 'allow');
    assert.equal((await decide(req('apache2.service'), undefined, opts(rule))).verdict, 'deny');
    const deny = await decide(
      req('nginx.service'),
      undefined,
      opts(`allow system *\n${rule.replace('allow', 'deny')}`),
    );
    assert.equal(deny.verdict, 'deny');
  });

  it('nothing opens the forbidden floor', async () => {
    const everything = 'allow * * * * *\nask * *';
    for (const level of ['high', 'medium', 'low'] as const) {
      const d = await decide(
        {
          bus: 'system',
          destination: 'org.freedesktop.login1',
          path: '/org/freedesktop/login1',
          interface: 'org.freedesktop.login1.Manager',
          member: 'PowerOff',
          access: 'call',
          args: [false],
        },
        undefined,
        opts(everything, level),
      );
      assert.equal(d.verdict, 'deny');
      assert.equal(d.kind, 'forbidden');
      assert.match(d.hint ?? '', /forbidden at every level/);
    }
  });

  it('a deny on the raw Properties call also holds', async () => {
    const req = call({
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Set',
      args: ['org.mpris.MediaPlayer2.Player', 'Volume', 0.5],
    });
    assert.equal((await decide(req, undefined, opts(''))).verdict, 'allow');
    const d = await decide(req, undefined, opts('deny session * * org.freedesktop.DBus.Properties Set'));
    assert.equal(d.verdict, 'deny');
  });

  it('ask rules and ASK_KINDS ask; the level hint names the level', async () => {
    assert.equal((await decide(call(), undefined, opts('ask session org.mpris.*'))).verdict, 'ask');
    const d = await decide(call(), undefined, { ...opts(''), askKinds: new Set(['media' as const]) });
    assert.equal(d.verdict, 'ask');
    const clip = await decide(
      call({
        destination: 'org.kde.klipper',
        path: '/klipper',
        interface: 'org.kde.klipper.klipper',
        member: 'setClipboardContents',
      }),
      undefined,
      opts(''),
    );
    assert.equal(clip.verdict, 'deny');
    assert.match(clip.hint ?? '', /set SAFETY_LEVEL=medium/);
  });
});
