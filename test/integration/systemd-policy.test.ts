import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Variant } from 'dbus-next';
import type { MockService, TestBus } from '../helpers/buses.js';
import { mockCall, startMock, startSessionBus, startSystemLikeBus } from '../helpers/buses.js';
import '../helpers/cleanup.js';
import type { InMemorySession } from '../helpers/mcp.js';
import { callTool, connectInMemory, errorName, toolError } from '../helpers/mcp.js';
import { tempDir } from '../helpers/ops.js';

/**
 * The systemd floor against python3-dbusmock's systemd template, extended the way a real manager
 * answers (LoadUnit, units with Id/Names/*Action=/dependencies, unit and job objects): the user
 * manager on the session bus and the system manager on the system bus, at every level and under
 * `allow * * * * *`. GetCalls on the mock proves that nothing refused reached the manager, and the
 * benign twin of each attack proves the mock would have seen it.
 */

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';
const ROOT = '/org/freedesktop/systemd1';
const INVOCATION = `${ROOT}/unit/0123456789abcdef0123456789abcdef`;
const FRIENDLY_INVOCATION = `${ROOT}/unit/fedcba9876543210fedcba9876543210`;
const JOB_POWEROFF = `${ROOT}/job/41`;
const JOB_DEMO = `${ROOT}/job/42`;
/** The template's unit paths: `.` and `-` become `_`. */
const mockPath = (unit: string) => `${ROOT}/unit/${unit.replace(/[.-]/g, '_')}`;

/** Look-ups the policy makes (never a change). */
const LOOKUPS = new Set(['LoadUnit', 'GetUnit', 'GetUnitByPID', 'GetJob']);

const UNITS: Record<string, Record<string, unknown>> = {
  'demo.service': {},
  'backup.timer': {},
  'sshd.service': { ActiveState: 'active' },
  'systemd-logind.service': {
    ActiveState: 'active',
    Names: ['systemd-logind.service', 'login-alias.service'],
  },
  'reboot.target': { Names: ['reboot.target', 'ctrl-alt-del.target', 'innocent.service'] },
  'poweroff.target': {},
  'session.slice': { ActiveState: 'active' },
  'oneshot.service': { SuccessAction: 'poweroff' },
  'crashy.service': { FailureAction: 'reboot-force' },
  'puller.service': { Wants: ['poweroff.target'] },
  'chain.service': { Wants: ['middle.service'] },
  'middle.service': { Requires: ['reboot.target'] },
  'kicker.service': { Conflicts: ['sshd.service'] },
  'gate.service': { ActiveState: 'active', RequiredBy: ['sshd.service'] },
};
/** Names the mock's LoadUnit answers with another unit (as systemd does for an alias). */
const ALIASES: Record<string, string> = {
  'login-alias.service': 'systemd-logind.service',
  'ctrl-alt-del.target': 'reboot.target',
  'innocent.service': 'reboot.target',
};

const CHANGES = [
  ['StartUnit', 'ss', 'o', 'ret = "/org/freedesktop/systemd1/job/1"'],
  ['StopUnit', 'ss', 'o', 'ret = "/org/freedesktop/systemd1/job/1"'],
  ['RestartUnit', 'ss', 'o', 'ret = "/org/freedesktop/systemd1/job/1"'],
  ['ReloadOrRestartUnit', 'ss', 'o', 'ret = "/org/freedesktop/systemd1/job/1"'],
  ['StartUnitWithFlags', 'sst', 'o', 'ret = "/org/freedesktop/systemd1/job/1"'],
  ['StartUnitReplace', 'sss', 'o', 'ret = "/org/freedesktop/systemd1/job/1"'],
  ['EnqueueUnitJob', 'sss', 'uososa(uosos)', 'ret = (1, "/", args[0], "/", args[1], [])'],
  ['KillUnit', 'ssi', '', ''],
  ['QueueSignalUnit', 'ssii', '', ''],
  ['CleanUnit', 'sas', '', ''],
  ['FreezeUnit', 's', '', ''],
  ['ResetFailedUnit', 's', '', ''],
  ['SetUnitProperties', 'sba(sv)', '', ''],
  ['BindMountUnit', 'sssbb', '', ''],
  ['RefUnit', 's', '', ''],
  ['AttachProcessesToUnit', 'ssau', '', ''],
  ['AbandonScope', 's', '', ''],
  ['CancelJob', 'u', '', ''],
  ['EnableUnitFiles', 'asbb', 'ba(sss)', 'ret = (False, [])'],
  ['LinkUnitFiles', 'asbb', 'a(sss)', 'ret = []'],
  ['MaskUnitFiles', 'asbb', 'a(sss)', 'ret = []'],
  ['DisableUnitFiles', 'asb', 'a(sss)', 'ret = []'],
  ['SetDefaultTarget', 'sb', 'a(sss)', 'ret = []'],
  ['EnqueueMarkedJobs', '', 'ao', 'ret = []'],
  ['ClearJobs', '', '', ''],
  ['ResetFailed', '', '', ''],
  ['Exit', '', '', ''],
  ['Reboot', '', '', ''],
  ['StartTransientUnit', 'ssa(sv)a(sa(sv))', 'o', 'ret = "/"'],
  ['SetEnvironment', 'as', '', ''],
];

const LOAD_UNIT = `n = ${JSON.stringify(ALIASES)}.get(args[0], args[0])
if n not in self.units:
    raise dbus.exceptions.DBusException('Unit ' + args[0] + ' not found.', name='org.freedesktop.systemd1.NoSuchUnit')
ret = self.units[n]`;

async function systemdMock(bus: TestBus): Promise<MockService> {
  const mock = await startMock(bus, ['--template', 'systemd'], { name: SYSTEMD });
  for (const [unit, props] of Object.entries(UNITS)) {
    await mockCall(bus, mock, 'AddMockUnit', 's', [unit]);
    const typed: Record<string, Variant> = {};
    for (const [k, v] of Object.entries(props)) typed[k] = new Variant(Array.isArray(v) ? 'as' : 's', v);
    // The template's units have Id, Names, LoadState and ActiveState; the rest are added.
    const known = new Set(['Id', 'Names', 'LoadState', 'ActiveState']);
    const update = Object.fromEntries(Object.entries(typed).filter(([k]) => known.has(k)));
    const add = Object.fromEntries(Object.entries(typed).filter(([k]) => !known.has(k)));
    if (Object.keys(update).length > 0) {
      await mockCall(bus, mock, 'UpdateProperties', 'sa{sv}', [UNIT, update], mockPath(unit));
    }
    if (Object.keys(add).length > 0) {
      await mockCall(bus, mock, 'AddProperties', 'sa{sv}', [UNIT, add], mockPath(unit));
    }
    await mockCall(
      bus,
      mock,
      'AddMethods',
      'sa(ssss)',
      [
        UNIT,
        [
          ['Start', 's', 'o', 'ret = "/"'],
          ['Stop', 's', 'o', 'ret = "/"'],
          ['Kill', 'si', '', ''],
        ],
      ],
      mockPath(unit),
    );
  }
  await mockCall(bus, mock, 'AddMethods', 'sa(ssss)', [
    MANAGER,
    [
      ['LoadUnit', 's', 'o', LOAD_UNIT],
      ['GetUnitByPID', 'u', 'o', 'ret = self.units["sshd.service" if args[0] == 4242 else "demo.service"]'],
      ['GetJob', 'u', 'o', `ret = "${JOB_POWEROFF}" if args[0] == 41 else "${JOB_DEMO}"`],
      ...CHANGES.filter(([m]) => m !== 'StartUnit' && m !== 'StopUnit'),
    ],
  ]);
  // A unit named by its invocation id, and queued jobs.
  for (const [path, id] of [
    [INVOCATION, 'sshd.service'],
    [FRIENDLY_INVOCATION, 'demo.service'],
  ] as const) {
    await mockCall(bus, mock, 'AddObject', 'ssa{sv}a(ssss)', [
      path,
      UNIT,
      { Id: new Variant('s', id), Names: new Variant('as', [id]), ActiveState: new Variant('s', 'active') },
      [['Stop', 's', 'o', 'ret = "/"']],
    ]);
  }
  for (const [path, unit] of [
    [JOB_POWEROFF, 'poweroff.target'],
    [JOB_DEMO, 'demo.service'],
  ] as const) {
    await mockCall(bus, mock, 'AddObject', 'ssa{sv}a(ssss)', [
      path,
      'org.freedesktop.systemd1.Job',
      { Unit: new Variant('(so)', [unit, mockPath(unit)]), JobType: new Variant('s', 'start') },
      [['Cancel', '', '', '']],
    ]);
  }
  return mock;
}

/** D-Bus values as plain JSON (variants unwrapped, integers as numbers). */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Variant) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Every change call that reached the mock's manager, unit and job objects (look-ups left out). */
async function changesSeen(bus: TestBus, mock: MockService): Promise<string[]> {
  const paths = [
    ROOT,
    INVOCATION,
    FRIENDLY_INVOCATION,
    JOB_POWEROFF,
    JOB_DEMO,
    ...Object.keys(UNITS).map(mockPath),
  ];
  const seen: string[] = [];
  for (const path of paths) {
    const [calls] = (await mockCall(bus, mock, 'GetCalls', '', [], path)) as [[bigint, string, unknown[]][]];
    for (const [, member, args] of calls) {
      if (LOOKUPS.has(member) || member === 'AddMockUnit') continue;
      seen.push(`${path} ${member} ${JSON.stringify(plain(args))}`);
    }
  }
  return seen;
}

interface Attempt {
  what: string;
  path?: string;
  interface?: string;
  method: string;
  args?: unknown[];
  signature?: string;
}

/** [attack, its benign twin (which must reach the mock), or undefined]. */
const ATTACKS: [Attempt, Attempt | undefined][] = [
  [
    { what: 'start a power target', method: 'StartUnit', args: ['poweroff.target', 'replace'] },
    { what: 'start demo', method: 'StartUnit', args: ['demo.service', 'replace'] },
  ],
  [
    { what: 'restart runlevel6', method: 'RestartUnit', args: ['runlevel6.target', 'replace'] },
    { what: 'restart demo', method: 'RestartUnit', args: ['demo.service', 'replace'] },
  ],
  [{ what: 'start systemd-exit', method: 'StartUnit', args: ['systemd-exit.service', 'replace'] }, undefined],
  [{ what: 'start rescue without suffix', method: 'StartUnit', args: ['rescue', 'replace'] }, undefined],
  [
    {
      what: 'an alias the manager resolves to logind',
      method: 'RestartUnit',
      args: ['login-alias.service', 'replace'],
    },
    undefined,
  ],
  [
    {
      what: 'a name the manager resolves to reboot.target',
      method: 'StartUnit',
      args: ['innocent.service', 'replace'],
    },
    undefined,
  ],
  [{ what: 'ctrl-alt-del alias', method: 'StartUnit', args: ['ctrl-alt-del.target', 'replace'] }, undefined],
  [{ what: 'stop a slice', method: 'StopUnit', args: ['session.slice', 'replace'] }, undefined],
  [
    { what: 'kill a slice', method: 'KillUnit', args: ['app.slice', 'all', 9] },
    { what: 'kill demo', method: 'KillUnit', args: ['demo.service', 'all', 15] },
  ],
  [
    { what: 'freeze the init scope', method: 'FreezeUnit', args: ['init.scope'] },
    { what: 'freeze demo', method: 'FreezeUnit', args: ['demo.service'] },
  ],
  [{ what: 'isolate', method: 'StartUnit', args: ['demo.service', 'isolate'] }, undefined],
  [{ what: 'flush', method: 'RestartUnit', args: ['demo.service', 'flush'] }, undefined],
  [
    { what: 'start with flags, isolate', method: 'StartUnitWithFlags', args: ['demo.service', 'isolate', 0] },
    { what: 'start with flags', method: 'StartUnitWithFlags', args: ['demo.service', 'fail', 0] },
  ],
  [
    {
      what: 'replace into a power target',
      method: 'StartUnitReplace',
      args: ['demo.service', 'reboot.target', 'replace'],
    },
    {
      what: 'replace into the timer',
      method: 'StartUnitReplace',
      args: ['demo.service', 'backup.timer', 'replace'],
    },
  ],
  [
    {
      what: 'enqueue a job for a power target',
      method: 'EnqueueUnitJob',
      args: ['poweroff.target', 'start', 'replace'],
    },
    { what: 'enqueue demo', method: 'EnqueueUnitJob', args: ['demo.service', 'restart', 'replace'] },
  ],
  [
    { what: 'a unit whose success powers off', method: 'StartUnit', args: ['oneshot.service', 'replace'] },
    undefined,
  ],
  [
    { what: 'a unit whose failure reboots', method: 'RestartUnit', args: ['crashy.service', 'replace'] },
    undefined,
  ],
  [
    {
      what: 'a unit that pulls in poweroff.target',
      method: 'StartUnit',
      args: ['puller.service', 'replace'],
    },
    undefined,
  ],
  [
    { what: 'two steps to reboot.target', method: 'StartUnit', args: ['chain.service', 'replace'] },
    undefined,
  ],
  [
    { what: 'a unit that stops sshd by conflict', method: 'StartUnit', args: ['kicker.service', 'replace'] },
    undefined,
  ],
  [
    { what: 'a stop that takes sshd with it', method: 'StopUnit', args: ['gate.service', 'replace'] },
    undefined,
  ],
  [{ what: 'the caller’s own unit', method: 'KillUnit', args: ['', 'all', 9] }, undefined],
  [
    {
      what: 'a variant around the unit',
      method: 'StartUnit',
      signature: 'vs',
      args: [{ signature: 's', value: 'reboot.target' }, 'replace'],
    },
    undefined,
  ],
  [
    {
      what: 'a variant around the mode',
      method: 'StartUnit',
      signature: 'sv',
      args: ['demo.service', { signature: 's', value: 'isolate' }],
    },
    undefined,
  ],
  [
    {
      what: 'an array for the unit',
      method: 'StartUnit',
      signature: 'ass',
      args: [['reboot.target'], 'replace'],
    },
    undefined,
  ],
  [
    {
      what: 'ExecStart set at run time',
      method: 'SetUnitProperties',
      args: ['demo.service', true, [['ExecStart', { signature: 's', value: '/bin/sh' }]]],
    },
    {
      what: 'a memory limit',
      method: 'SetUnitProperties',
      args: ['demo.service', true, [['MemoryMax', { signature: 't', value: '1000000' }]]],
    },
  ],
  [
    {
      what: 'bind-mount into sshd',
      method: 'BindMountUnit',
      args: ['sshd.service', '/tmp', '/root', false, true],
    },
    undefined,
  ],
  [
    {
      what: 'bind-mount into an ordinary service',
      method: 'BindMountUnit',
      args: ['demo.service', '/tmp', '/usr/bin', false, true],
    },
    undefined,
  ],
  [
    { what: 'rescue with its suffix in capitals', method: 'StartUnit', args: ['Rescue.Service', 'replace'] },
    undefined,
  ],
  [{ what: 'ref a target', method: 'RefUnit', args: ['multi-user.target'] }, undefined],
  [
    { what: 'move sshd’s process', method: 'AttachProcessesToUnit', args: ['demo.service', '', [4242]] },
    { what: 'move a demo process', method: 'AttachProcessesToUnit', args: ['demo.service', '', [4343]] },
  ],
  [{ what: 'abandon a scope', method: 'AbandonScope', args: ['session-1.scope'] }, undefined],
  [
    { what: 'cancel the poweroff job by id', method: 'CancelJob', args: [41] },
    { what: 'cancel the demo job', method: 'CancelJob', args: [42] },
  ],
  [
    { what: 'link a unit file from a path', method: 'LinkUnitFiles', args: [['/tmp/x.service'], true, true] },
    undefined,
  ],
  [
    {
      what: 'enable a unit file from a path',
      method: 'EnableUnitFiles',
      args: [['/home/u/sshd.service'], true, true],
    },
    { what: 'enable the timer', method: 'EnableUnitFiles', args: [['backup.timer'], true, false] },
  ],
  [
    {
      what: 'mask sshd by path',
      method: 'MaskUnitFiles',
      args: [['/etc/systemd/system/sshd.service'], true, true],
    },
    { what: 'mask demo', method: 'MaskUnitFiles', args: [['demo.service'], true, false] },
  ],
  [{ what: 'disable a target', method: 'DisableUnitFiles', args: [['graphical.target'], false] }, undefined],
  [{ what: 'the default target', method: 'SetDefaultTarget', args: ['rescue.target', true] }, undefined],
  [{ what: 'enqueue marked jobs', method: 'EnqueueMarkedJobs', args: [] }, undefined],
  [{ what: 'clear every job', method: 'ClearJobs', args: [] }, undefined],
  [{ what: 'reset every failed unit', method: 'ResetFailed', args: [] }, undefined],
  [{ what: 'exit the manager', method: 'Exit', args: [] }, undefined],
  [{ what: 'reboot', method: 'Reboot', args: [] }, undefined],
  [
    { what: 'a transient unit', method: 'StartTransientUnit', args: ['x.service', 'fail', [], []] },
    undefined,
  ],
  [
    { what: 'the manager environment', method: 'SetEnvironment', args: [['LD_PRELOAD=/tmp/x.so']] },
    undefined,
  ],
  [
    {
      what: 'Unit.Stop by escaped path',
      path: mockPath('sshd.service'),
      interface: UNIT,
      method: 'Stop',
      args: ['replace'],
    },
    {
      what: 'Unit.Stop of demo',
      path: mockPath('demo.service'),
      interface: UNIT,
      method: 'Stop',
      args: ['replace'],
    },
  ],
  [
    {
      what: 'Unit.Start of a target by systemd’s escaping',
      path: `${ROOT}/unit/poweroff_2etarget`,
      interface: UNIT,
      method: 'Start',
      args: ['replace'],
    },
    undefined,
  ],
  [
    {
      what: 'Unit.Kill of /unit/self',
      path: `${ROOT}/unit/self`,
      interface: UNIT,
      method: 'Kill',
      args: ['all', 9],
    },
    undefined,
  ],
  [
    {
      what: 'Unit.Stop by invocation id',
      path: INVOCATION,
      interface: UNIT,
      method: 'Stop',
      args: ['replace'],
    },
    {
      what: 'Unit.Stop by a friendly invocation id',
      path: FRIENDLY_INVOCATION,
      interface: UNIT,
      method: 'Stop',
      args: ['replace'],
    },
  ],
  [
    {
      what: 'Job.Cancel of a poweroff job',
      path: JOB_POWEROFF,
      interface: 'org.freedesktop.systemd1.Job',
      method: 'Cancel',
      args: [],
    },
    {
      what: 'Job.Cancel of the demo job',
      path: JOB_DEMO,
      interface: 'org.freedesktop.systemd1.Job',
      method: 'Cancel',
      args: [],
    },
  ],
];

function rulesDir(rules: string): string {
  const dir = join(tempDir('dbus-mcp-units-rules-'), 'policy.d');
  mkdirSync(dir);
  writeFileSync(join(dir, 'units.rules'), rules);
  return dir;
}

describe('systemd: the floor holds on both buses, at every level, under allow * * * * *', () => {
  let session: TestBus;
  let system: TestBus;
  let user: MockService;
  let pid1: MockService;
  const open: InMemorySession[] = [];
  const connect = async (level: string, rules: string) => {
    const s = await connectInMemory({
      settings: {
        SESSION_BUS_ADDRESS: session.address,
        SYSTEM_BUS_ADDRESS: system.address,
        SAFETY_LEVEL: level as 'low',
        POLICY_DIRS: rulesDir(rules),
        RATE_LIMIT_MUTATING: '0',
      },
    });
    open.push(s);
    return s;
  };

  before(async () => {
    session = await startSessionBus();
    system = await startSystemLikeBus();
    [user, pid1] = await Promise.all([systemdMock(session), systemdMock(system)]);
  });
  after(async () => {
    for (const s of open) await s.close();
  });

  for (const [busName, level] of [
    ['session', 'low'],
    ['session', 'medium'],
    ['session', 'high'],
    ['system', 'low'],
    ['system', 'high'],
  ] as const) {
    test(`${busName} bus at ${level}: every attack is refused and never reaches the manager; its twin does`, async () => {
      const bus = busName === 'session' ? session : system;
      const mock = busName === 'session' ? user : pid1;
      const s = await connect(level, `allow * * * * *\nallow ${busName} ${SYSTEMD} * ${MANAGER} StartUnit\n`);
      const call = (a: Attempt) =>
        callTool(s.client, 'call_method', {
          bus: busName,
          service: SYSTEMD,
          path: a.path ?? ROOT,
          interface: a.interface ?? MANAGER,
          method: a.method,
          args: a.args ?? [],
          ...(a.signature ? { signature: a.signature } : {}),
        });
      for (const [attack, twin] of ATTACKS) {
        const before = await changesSeen(bus, mock);
        const r = await call(attack);
        assert.equal(errorName(r), 'dbus-mcp.POLICY_DENIED', `${attack.what}: ${JSON.stringify(r.content)}`);
        assert.equal(toolError(r).kind, 'forbidden', `${attack.what}: ${JSON.stringify(r.content)}`);
        assert.deepEqual(await changesSeen(bus, mock), before, `${attack.what} reached the manager`);
        if (twin) {
          const ok = await call(twin);
          assert.equal(ok.isError, undefined, `${twin.what}: ${JSON.stringify(ok.content)}`);
          const seen = await changesSeen(bus, mock);
          assert.ok(seen.length > before.length, `${twin.what} did not reach the manager`);
        }
      }
    });
  }

  test('the task tools go through the same judgement', async () => {
    const low = await connect('low', '');
    for (const unit of [
      'systemd-exit.service',
      'rescue',
      'oneshot',
      'puller.service',
      'innocent',
      'session.slice',
      'reboot.target',
    ]) {
      const r = await callTool(low.client, 'manage_unit', { unit, action: 'start' });
      assert.equal(errorName(r), 'dbus-mcp.POLICY_DENIED', `${unit}: ${JSON.stringify(r.content)}`);
      assert.equal(toolError(r).kind, 'forbidden', unit);
    }
    const before = await changesSeen(session, user);
    const ok = await callTool(low.client, 'manage_unit', { unit: 'demo', action: 'restart' });
    assert.equal(ok.isError, undefined, JSON.stringify(ok.content));
    assert.ok(
      (await changesSeen(session, user)).some((c) => c.includes('RestartUnit ["demo.service","replace"]')),
    );
    assert.ok(before.length < (await changesSeen(session, user)).length);
    // The system manager: only by operator rule, and never a protected unit.
    const ruled = await connect('low', `allow system ${SYSTEMD} ${ROOT} ${MANAGER} StartUnit\n`);
    const sys = await callTool(ruled.client, 'manage_unit', {
      unit: 'demo',
      action: 'start',
      manager: 'system',
    });
    assert.equal(sys.isError, undefined, JSON.stringify(sys.content));
    const rescue = await callTool(ruled.client, 'manage_unit', {
      unit: 'rescue',
      action: 'start',
      manager: 'system',
    });
    assert.equal(toolError(rescue).kind, 'forbidden');
    const status = await callTool(low.client, 'unit_status', { unit: 'sshd' });
    assert.equal(status.isError, undefined, 'reads stay reads');
  });
});
