import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallRequest } from '../../../../src/worker/dbus/types.js';
import { variant } from '../../../../src/worker/dbus/values/index.js';
import type { PolicyConnection, ResolvedOperation } from '../../../../src/worker/policy/resolve.js';
import { askSystemd } from '../../../../src/worker/policy/units-resolve.js';
import { MAX_UNITS_ASKED } from '../../../../src/worker/policy/units.js';

const SD = 'org.freedesktop.systemd1.Manager';

/** A manager that knows `units` (name → Unit properties); no LoadUnit when `old`. */
function manager(units: Record<string, Record<string, unknown>>, opts: { old?: boolean } = {}) {
  const calls: CallRequest[] = [];
  const path = (n: string) => `/org/freedesktop/systemd1/unit/${n.replace(/\W/g, '_')}`;
  const byPath = new Map(Object.keys(units).map((n) => [path(n), n]));
  const conn = {
    call: async (req: CallRequest) => {
      calls.push(req);
      assert.equal(req.noAutoStart, true, 'look-ups never start anything');
      const [arg] = req.body ?? [];
      if (req.member === 'LoadUnit' && opts.old) throw new Error('UnknownMethod');
      if (req.member === 'LoadUnit' || req.member === 'GetUnit') {
        if (typeof arg !== 'string' || !units[arg]) throw new Error('NoSuchUnit');
        return { signature: 'o', body: [path(arg)] };
      }
      if (req.member === 'GetUnitByPID') return { signature: 'o', body: [path('sshd.service')] };
      if (req.member === 'GetAll') {
        const name = byPath.get(req.path);
        if (!name) throw new Error('UnknownObject');
        const props = { Id: name, Names: [name], ActiveState: 'inactive', ...units[name] };
        const typed = Object.fromEntries(
          Object.entries(props).map(([k, v]) => [k, variant(Array.isArray(v) ? 'as' : 's', v)]),
        );
        return { signature: 'a{sv}', body: [typed] };
      }
      throw new Error(`unexpected ${req.member}`);
    },
  } as unknown as PolicyConnection;
  return { conn, calls };
}

const op = (member: string, args: unknown[], path = '/org/freedesktop/systemd1'): ResolvedOperation => ({
  bus: 'session',
  destination: 'org.freedesktop.systemd1',
  names: ['org.freedesktop.systemd1'],
  path,
  interface: path === '/org/freedesktop/systemd1' ? SD : 'org.freedesktop.systemd1.Unit',
  member,
  access: 'call',
  args,
});

describe('askSystemd: what the manager says about the units a call changes', () => {
  it('asks for the unit and the dependencies its change reaches, then stops', async () => {
    const { conn, calls } = manager({
      'app.service': { Wants: ['mid.service', 'up.service'] },
      'mid.service': { Requires: ['poweroff.target'] },
      'up.service': { ActiveState: 'active', Wants: ['never.service'] },
      'poweroff.target': {},
    });
    const a = await askSystemd(op('StartUnit', ['app.service', 'replace']), conn);
    assert.ok(a);
    assert.equal(a.refs['name:app.service']?.id, 'app.service');
    assert.equal(a.units['poweroff.target']?.id, 'poweroff.target');
    assert.equal(a.units['never.service'], undefined, 'up.service runs: starting app does not start it');
    assert.ok(calls.every((c) => ['LoadUnit', 'GetAll'].includes(c.member)));
  });

  it('falls back to GetUnit, and answers null where the manager cannot say', async () => {
    const { conn, calls } = manager({ 'demo.service': {} }, { old: true });
    const a = await askSystemd(op('StartUnit', ['demo.service', 'replace']), conn);
    assert.equal(a?.refs['name:demo.service']?.id, 'demo.service');
    assert.ok(calls.some((c) => c.member === 'GetUnit'));
    const none = await askSystemd(op('StartUnit', ['ghost.service', 'replace']), conn);
    assert.equal(none?.refs['name:ghost.service'], null);
  });

  it('asks nothing for a call refused on its face, or for reads', async () => {
    const { conn, calls } = manager({});
    assert.equal(await askSystemd(op('StartUnit', ['sshd.service', 'replace']), conn), undefined);
    assert.equal(await askSystemd(op('StartUnit', ['nginx.service', 'isolate']), conn), undefined);
    assert.equal(await askSystemd(op('GetUnit', ['nginx.service']), conn), undefined);
    assert.deepEqual(calls, []);
  });

  it('processes by GetUnitByPID; too many units are not asked about but marked', async () => {
    const { conn } = manager({ 'demo.service': {}, 'sshd.service': {} });
    const a = await askSystemd(op('AttachProcessesToUnit', ['demo.service', '', [4242]]), conn);
    assert.equal(a?.refs['pid:4242']?.id, 'sshd.service');
    const many = Array.from({ length: MAX_UNITS_ASKED + 1 }, (_, i) => `u${i}.service`);
    const t = await askSystemd(op('EnqueueUnitJobMany', [many, 'start', 'replace', 0]), conn);
    assert.equal(t?.truncated, true);
  });
});
