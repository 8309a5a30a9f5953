import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/shared/errors.js';
import { PolicyEngine } from '../../../../src/worker/policy/engine.js';
import type { PolicyState } from '../../../../src/worker/policy/rate-limit.js';
import type { OperationRequest } from '../../../../src/worker/policy/resolve.js';
import { parseRules } from '../../../../src/worker/policy/rules.js';
import { auditLines, memoryLogger, testConfig } from './support.js';

function engine(
  overrides: Record<string, string> = {},
  rules = '',
  extra: { state?: PolicyState; now?: () => number } = {},
) {
  const { log, lines } = memoryLogger();
  const states: PolicyState[] = [];
  const e = new PolicyEngine({
    config: testConfig(overrides),
    log,
    clientId: 'client-7',
    rules: parseRules(rules, 'e.rules'),
    onStateChange: (s) => states.push(s),
    ...extra,
  });
  return { e, lines, states };
}

const NOTIFY: OperationRequest = {
  bus: 'session',
  destination: 'org.freedesktop.Notifications',
  path: '/org/freedesktop/Notifications',
  interface: 'org.freedesktop.Notifications',
  member: 'Notify',
  access: 'call',
  args: ['app', 0, '', 'title', 'body', [], {}, -1],
};

describe('PolicyEngine (static, no bus)', () => {
  it('audits an allowed non-read operation once, at finish, with duration and error', async () => {
    const { e, lines } = engine();
    const auth = await e.authorize(NOTIFY);
    assert.equal(auth.allowed, true);
    assert.equal(auth.kind, 'notify');
    assert.equal(auditLines(lines).length, 0);
    auth.finish({ error: 'org.freedesktop.DBus.Error.NoReply' });
    auth.finish({});
    const [line, ...more] = auditLines(lines);
    assert.equal(more.length, 0);
    assert.ok(line, 'line');
    assert.equal(line.clientId, 'client-7');
    assert.equal(line.bus, 'session');
    assert.equal(line.destination, 'org.freedesktop.Notifications');
    assert.equal(line.interface, 'org.freedesktop.Notifications');
    assert.equal(line.member, 'Notify');
    assert.equal(line.kind, 'notify');
    assert.equal(line.decision, 'allowed');
    assert.equal(line.level, 'high');
    assert.equal(line.error, 'org.freedesktop.DBus.Error.NoReply');
    assert.equal(typeof line.durationMs, 'number');
    assert.match(String(line.args), /title/);
  });

  it('does not audit reads', async () => {
    const { e, lines } = engine();
    const auth = await e.authorize({ ...NOTIFY, member: 'GetCapabilities', args: [] });
    assert.equal(auth.kind, 'read');
    auth.finish();
    assert.equal(auditLines(lines).length, 0);
  });

  it('refuses with reason, level, hint and an immediate audit line', async () => {
    const { e, lines } = engine();
    const auth = await e.authorize({
      ...NOTIFY,
      destination: 'com.example.App',
      interface: 'com.example.App',
      member: 'Frobnicate',
    });
    assert.equal(auth.allowed, false);
    assert.equal(auth.code, 'POLICY_DENIED');
    assert.equal(auth.kind, 'call');
    assert.equal(auth.level, 'high');
    assert.match(auth.reason, /call is not allowed at level high/);
    assert.match(auth.hint ?? '', /set SAFETY_LEVEL=low/);
    const [line] = auditLines(lines);
    assert.equal(line?.decision, 'refused');
    assert.equal(line?.member, 'Frobnicate');
  });

  it('redacts arguments of secret-bearing members, allowed or refused', async () => {
    const { e, lines } = engine({ SAFETY_LEVEL: 'low' });
    const item: OperationRequest = {
      bus: 'session',
      destination: 'org.freedesktop.secrets',
      path: '/org/freedesktop/secrets/collection/login',
      interface: 'org.freedesktop.Secret.Collection',
      member: 'CreateItem',
      access: 'call',
      args: [{ label: 'x' }, ['/s', [], 'hunter2', 'text/plain'], true],
    };
    (await e.authorize(item)).finish();
    await e.authorize({
      ...item,
      interface: 'org.freedesktop.Secret.Service',
      member: 'GetSecrets',
      args: [['/i'], '/s/hunter2'],
    });
    const set = await e.authorize({
      ...item,
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Set',
      args: ['com.example.Vault', 'PassphraseHint', 'hunter2'],
    });
    assert.equal(set.kind, 'property_write');
    set.finish();
    const audit = auditLines(lines);
    assert.equal(audit.length, 3);
    for (const l of audit) assert.match(String(l.args), /^\[redacted/);
    assert.doesNotMatch(JSON.stringify(lines), /hunter2/);
  });

  it('judges Properties.Set reached as a call as the property write', async () => {
    const { e } = engine();
    const auth = await e.authorize({
      bus: 'session',
      destination: 'com.example.App',
      path: '/',
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Set',
      access: 'call',
      args: ['com.example.App', 'Colour', 'red'],
    });
    assert.equal(auth.allowed, false);
    assert.equal(auth.kind, 'property_write');
    assert.match(auth.reason, /called as org\.freedesktop\.DBus\.Properties\.Set/);
    assert.match(auth.hint ?? '', /SAFETY_LEVEL=medium/);
  });

  it('rate-limits per kind, exports state, and keeps the limit across engines', async () => {
    let t = 5_000_000;
    const now = () => t;
    const { e, states } = engine({ RATE_LIMIT_NOTIFY: '2' }, '', { now });
    assert.equal((await e.authorize(NOTIFY)).allowed, true);
    assert.equal((await e.authorize(NOTIFY)).allowed, true);
    const third = await e.authorize(NOTIFY);
    assert.equal(third.allowed, false);
    assert.equal(third.code, 'RATE_LIMITED');
    assert.equal(third.retryAfterMs, 30_000);
    assert.match(third.reason, /retry in 30\.0 s/);
    assert.equal(states.length, 2);
    const { e: replacement } = engine({ RATE_LIMIT_NOTIFY: '2' }, '', { now, state: states.at(-1) });
    assert.equal((await replacement.authorize(NOTIFY)).code, 'RATE_LIMITED');
    t += 30_000;
    assert.equal((await replacement.authorize(NOTIFY)).allowed, true);
  });

  describe('confirmation', () => {
    const ask = { ASK_KINDS: 'notify', CONFIRM_TIMEOUT_MS: '1000' };
    it('refuses when the client cannot ask', async () => {
      const { e, lines } = engine(ask);
      const auth = await e.authorize(NOTIFY);
      assert.equal(auth.allowed, false);
      assert.match(auth.reason, /cannot ask the human/);
      assert.equal(auditLines(lines)[0]?.confirmation, 'unavailable');
    });
    it('refuses when the human declines', async () => {
      const { e } = engine(ask);
      const questions: string[] = [];
      const auth = await e.authorize(NOTIFY, { confirm: async (q) => (questions.push(q.question), false) });
      assert.equal(auth.allowed, false);
      assert.match(auth.reason, /declined/);
      assert.match(questions[0] ?? '', /client-7 to call org\.freedesktop\.Notifications\.Notify/);
    });
    it('allows when the human accepts', async () => {
      const { e, lines } = engine(ask);
      const auth = await e.authorize(NOTIFY, { confirm: async () => true });
      assert.equal(auth.allowed, true);
      auth.finish();
      assert.equal(auditLines(lines)[0]?.confirmation, 'accepted');
    });
    it('refuses when the human does not answer in time', async () => {
      const { e } = engine(ask);
      const started = Date.now();
      const auth = await e.authorize(NOTIFY, { confirm: () => new Promise<boolean>(() => {}) });
      assert.equal(auth.allowed, false);
      assert.match(auth.reason, /did not answer in time/);
      assert.ok(Date.now() - started >= 900, 'Date.now() - started >= 900');
    });
    it('binds the answer to the full operation, not to the text shown (issue 12 §5)', async () => {
      const { e } = engine(ask);
      const asked: { question: string; key: string }[] = [];
      const confirm = async (q: { question: string; key: string }) => (asked.push(q), false);
      const long = (tail: string) => ({
        ...NOTIFY,
        args: ['app', 0, '', 'title', `${'x'.repeat(600)}${tail}`, [], {}, -1],
      });
      await e.authorize(long('rm -rf ~'), { confirm });
      await e.authorize(long('harmless'), { confirm });
      await e.authorize(long('harmless'), { confirm });
      const [a, b, c] = asked;
      assert.ok(a && b && c);
      assert.equal(
        a.question.split(' (arguments')[0],
        b.question.split(' (arguments')[0],
        'the texts agree up to the cut',
      );
      assert.notEqual(a.key, b.key, 'operations that differ after the cut have different keys');
      assert.equal(b.key, c.key, 'the same operation has the same key');
      assert.match(
        a.question,
        /arguments shown cut to \d+ of \d+ characters; digest of the full arguments sha256:[0-9a-f]{16}/,
      );
      assert.notEqual(a.question, b.question, 'the digests differ');
      // Secret-bearing arguments are not shown, but count in the key in full.
      const secret = (pw: string): OperationRequest => ({
        ...NOTIFY,
        destination: 'org.freedesktop.secrets',
        path: '/org/freedesktop/secrets/collection/login',
        interface: 'org.freedesktop.Secret.Collection',
        member: 'CreateItem',
        args: [pw],
      });
      const { e: e2 } = engine({ ASK_KINDS: 'call', SAFETY_LEVEL: 'low', CONFIRM_TIMEOUT_MS: '1000' });
      const seen: { question: string; key: string }[] = [];
      await e2.authorize(secret('one'), { confirm: async (q) => (seen.push(q), false) });
      await e2.authorize(secret('two'), { confirm: async (q) => (seen.push(q), false) });
      assert.match(seen[0]?.question ?? '', /redacted: 1 argument\(s\)\] \(arguments not shown; digest/);
      assert.notEqual(seen[0]?.key, seen[1]?.key);
    });
    it('an ask rule opens beyond the level, with confirmation', async () => {
      const { e } = engine({}, 'ask session com.example.App');
      const req: OperationRequest = {
        ...NOTIFY,
        destination: 'com.example.App',
        interface: 'com.example.App',
        member: 'Frob',
      };
      assert.equal((await e.authorize(req)).allowed, false);
      const auth = await e.authorize(req, { confirm: async () => true });
      assert.equal(auth.allowed, true);
      assert.equal(auth.rule, 'e.rules:1: ask session com.example.App * * *');
    });
  });

  it('a declared kind counts unless the operation is forbidden', async () => {
    const { e } = engine({ SAFETY_LEVEL: 'medium' });
    const shot = await e.authorize({
      bus: 'session',
      destination: '',
      path: '/',
      member: 'capture',
      access: 'call',
      kind: 'screenshot',
    });
    assert.equal(shot.allowed, true);
    const sneaky = await e.authorize({
      bus: 'session',
      destination: 'org.gnome.Shell',
      path: '/org/gnome/Shell',
      interface: 'org.gnome.Shell',
      member: 'Eval',
      access: 'call',
      kind: 'screenshot',
    });
    assert.equal(sneaky.kind, 'forbidden');
  });

  it('explains without side effects', async () => {
    const { e, lines } = engine({ RATE_LIMIT_NOTIFY: '1' });
    const x = await e.explain(NOTIFY);
    await e.explain(NOTIFY);
    assert.equal(x.decision, 'allow');
    assert.deepEqual(x.levels, { high: true, medium: true, low: true });
    assert.equal((await e.authorize(NOTIFY)).allowed, true);
    assert.equal(auditLines(lines).length, 0);
    const noIface = await e.explain({ ...NOTIFY, interface: undefined, member: 'PowerOff' });
    assert.equal(noIface.kind, 'forbidden');
    const unit = await e.explain({
      bus: 'system',
      destination: 'org.freedesktop.systemd1',
      path: '/org/freedesktop/systemd1',
      interface: 'org.freedesktop.systemd1.Manager',
      member: 'RestartUnit',
      access: 'call',
    });
    assert.equal(unit.kind, 'system_change');
    assert.deepEqual(unit.levels, { high: false, medium: false, low: false });
  });

  it('setConfig changes level and rules, keeps buckets', async () => {
    const { e } = engine();
    const req: OperationRequest = {
      ...NOTIFY,
      destination: 'com.example.App',
      interface: 'com.example.App',
      member: 'Frob',
    };
    assert.equal((await e.authorize(req)).allowed, false);
    e.setConfig(testConfig({ SAFETY_LEVEL: 'low' }), []);
    assert.equal((await e.authorize(req)).allowed, true);
    e.setConfig(testConfig({ SAFETY_LEVEL: 'low' }), parseRules('deny session com.example.*', 'n.rules'));
    assert.equal((await e.authorize(req)).allowed, false);
  });

  it('an invalid ASK_KINDS is a configuration error', () => {
    assert.throws(
      () => engine({ ASK_KINDS: 'notify,poweroff' }),
      (err: unknown) =>
        err instanceof AppError && err.code === 'CONFIG_INVALID' && /poweroff/.test(err.message),
    );
  });
});

describe('the service-wide rate limit (issue 12 §6)', () => {
  it('is asked for every allowed non-read operation, never for reads; a refusal gives back the client’s token', async () => {
    const asked: string[] = [];
    let open = true;
    const { log } = memoryLogger();
    const e = new PolicyEngine({
      config: testConfig({ RATE_LIMIT_NOTIFY: '2' }),
      log,
      clientId: 'c',
      rules: [],
      serviceRate: async (bucket) => {
        asked.push(bucket);
        return open ? { ok: true } : { ok: false, limit: 5, retryAfterMs: 1234 };
      },
    });
    const read: OperationRequest = {
      ...NOTIFY,
      interface: 'org.freedesktop.Notifications',
      member: 'GetCapabilities',
      args: [],
    };
    assert.equal((await e.authorize(read)).allowed, true);
    assert.deepEqual(asked, [], 'reads ask nobody');
    assert.equal((await e.authorize(NOTIFY)).allowed, true);
    open = false;
    const refused = await e.authorize(NOTIFY);
    assert.equal(refused.allowed, false);
    assert.equal(refused.code, 'RATE_LIMITED');
    assert.equal(refused.retryAfterMs, 1234);
    assert.match(
      refused.reason,
      /at most 5 notify operations per minute for all clients of this server together/,
    );
    open = true;
    // The refused operation gave its per-client token back: the client's bucket of 2 still has one.
    assert.equal((await e.authorize(NOTIFY)).allowed, true);
    assert.equal((await e.authorize(NOTIFY)).allowed, false, 'and then the client’s own limit');
    assert.deepEqual(asked, ['notify', 'notify', 'notify']);
  });

  it('in direct mode the process is its own service: RATE_LIMIT_SERVICE_* apply without a supervisor', async () => {
    const { e } = engine({ RATE_LIMIT_NOTIFY: '10', RATE_LIMIT_SERVICE_NOTIFY: '1' });
    assert.equal((await e.authorize(NOTIFY)).allowed, true);
    const second = await e.authorize(NOTIFY);
    assert.equal(second.code, 'RATE_LIMITED');
    assert.match(second.reason, /all clients of this server together/);
  });
});

describe('rules on a unit’s object path', () => {
  const SD = {
    bus: 'system',
    destination: 'org.freedesktop.systemd1',
    path: '/org/freedesktop/systemd1',
    interface: 'org.freedesktop.systemd1.Manager',
    access: 'call',
  } as const;
  const NGINX = 'allow system org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/nginx_2eservice';

  it('open the Manager methods naming that one unit, whatever its spelling', async () => {
    const { e } = engine({}, NGINX);
    for (const unit of ['nginx', 'nginx.service']) {
      const auth = await e.authorize({ ...SD, member: 'RestartUnit', args: [unit, 'replace'] });
      assert.equal(auth.allowed, true, `${unit}: ${auth.reason}`);
    }
    assert.equal(
      (await e.authorize({ ...SD, member: 'RestartUnit', args: ['apache2.service', 'replace'] })).allowed,
      false,
    );
  });

  it('do not open a call that changes other units too, but a deny holds for it', async () => {
    const { e } = engine({}, NGINX);
    const many = await e.authorize({
      ...SD,
      member: 'EnqueueUnitJobMany',
      args: [['nginx.service', 'apache2.service'], 'restart', 'replace', 0],
    });
    assert.equal(many.allowed, false, many.reason);
    const { e: denied } = engine(
      {},
      `allow * * * * *\ndeny system org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/nginx_2eservice`,
    );
    const replace = await denied.authorize({
      ...SD,
      member: 'StartUnitReplace',
      args: ['apache2.service', 'nginx.service', 'replace'],
    });
    assert.equal(replace.allowed, false);
    assert.match(replace.reason, /refused by operator rule/);
  });
});
