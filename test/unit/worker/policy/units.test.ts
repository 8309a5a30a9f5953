import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { variant } from '../../../../src/worker/dbus/values/index.js';
import type { ClassifyInput } from '../../../../src/worker/policy/classify.js';
import { classify } from '../../../../src/worker/policy/classify.js';
import type { SystemdAnswers, UnitFacts } from '../../../../src/worker/policy/units.js';
import { walkEffects } from '../../../../src/worker/policy/units.js';
import {
  isValidUnitName,
  mangleUnitName,
  templateOf,
  unitFromPath,
  unitObjectPath,
} from '../../../../src/worker/policy/units-names.js';
import { powerUnit, protectedUnit } from '../../../../src/worker/policy/units-protected.js';

const SD = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';

function judge(iface: string, member: string, extra: Partial<ClassifyInput> = {}) {
  return classify({
    bus: 'session',
    names: ['org.freedesktop.systemd1'],
    path: '/org/freedesktop/systemd1',
    interface: iface,
    member,
    access: 'call',
    ...extra,
  });
}
const kindOf = (iface: string, member: string, extra: Partial<ClassifyInput> = {}) =>
  judge(iface, member, extra).kind;

/** Facts as the manager would answer them (GetAll of the Unit interface). */
function facts(id: string, props: Record<string, unknown> = {}): UnitFacts {
  const names = [id, ...((props.Names as string[] | undefined) ?? [])];
  return {
    id,
    names: [...new Set(names)],
    activeState: (props.ActiveState as string | undefined) ?? 'inactive',
    props,
  };
}
function answers(refs: Record<string, UnitFacts | null>, units: UnitFacts[] = []): SystemdAnswers {
  const a: SystemdAnswers = { refs, units: {}, truncated: false };
  for (const f of [...Object.values(refs), ...units]) if (f) for (const n of f.names) a.units[n] = f;
  return a;
}

describe('systemd unit names as systemd reads them', () => {
  it('mangles loose names the way systemctl does', () => {
    const cases: [string, string][] = [
      ['rescue', 'rescue.service'],
      ['emergency', 'emergency.service'],
      ['foo@bar', 'foo@bar.service'],
      ['a/b', 'a-b.service'],
      ['foo bar', 'foo\\x20bar.service'],
      ['/dev/sda1', 'dev-sda1.device'],
      ['/sys/class/net/eth0', 'sys-class-net-eth0.device'],
      ['/home', 'home.mount'],
      ['/', '-.mount'],
      ['-.slice', '-.slice'],
      ['init.scope', 'init.scope'],
      ['ctrl-alt-del.target', 'ctrl-alt-del.target'],
    ];
    for (const [given, name] of cases) {
      const m = mangleUnitName(given);
      assert.ok(m.ok, given);
      assert.equal(m.name, name, given);
    }
    for (const bad of ['', 'foo*', 'x?.service', '[ab].service', 'x'.repeat(300)]) {
      assert.equal(mangleUnitName(bad).ok, false, bad);
    }
  });

  it('unescapes unit object paths (bus_label_unescape) and escapes them back', () => {
    assert.equal(unitFromPath('/org/freedesktop/systemd1/unit/dbus_2eservice'), 'dbus.service');
    assert.equal(unitFromPath('/org/freedesktop/systemd1/unit/dbus_2Eservice'), 'dbus.service');
    assert.equal(
      unitFromPath('/org/freedesktop/systemd1/unit/systemd_2dlogind_2eservice'),
      'systemd-logind.service',
    );
    assert.equal(unitFromPath('/org/freedesktop/systemd1/unit/_'), '');
    assert.equal(unitFromPath('/org/freedesktop/systemd1/unit/a_2'), 'a_2');
    assert.equal(unitFromPath('/org/freedesktop/systemd1/unit/a_zz'), 'a_zz');
    assert.equal(unitFromPath('/org/freedesktop/systemd1'), undefined);
    for (const n of ['user@1000.service', '-.slice', 'dbus-mcp-standalone.socket', '0abc.service']) {
      assert.equal(unitFromPath(unitObjectPath(n)), n);
    }
  });

  it('knows templates and valid names', () => {
    assert.equal(templateOf('getty@tty1.service'), 'getty@.service');
    assert.equal(templateOf('nginx.service'), undefined);
    assert.equal(isValidUnitName('foo@.service'), true);
    assert.equal(isValidUnitName('foo@.service', 'loadable'), false);
    assert.equal(isValidUnitName('@foo.service'), false);
    assert.equal(isValidUnitName('foo.bogus'), false);
  });

  it('protects by what a unit does, templates and instances alike', () => {
    for (const n of [
      'runlevel0.target',
      'runlevel6.target',
      'exit.target',
      'systemd-exit.service',
      'systemd-soft-reboot.service',
      'systemd-hybrid-sleep.service',
      'initrd-switch-root.service',
      'system-update.target',
      'factory-reset.target',
      'sigpwr.target',
      'rescue',
      'emergency.service',
      'systemd-sysupdate.service',
    ]) {
      assert.ok(powerUnit(n), n);
      assert.ok(protectedUnit(n), n);
    }
    for (const n of [
      'sshd@1-10.0.0.1:22.service',
      'getty@tty2.service',
      'getty@.service',
      'dbus-org.freedesktop.login1.service',
      'org.gnome.Shell@wayland.service',
      'systemd-cryptsetup@root.service',
      'DBUS.SERVICE',
      'apt-daily-upgrade.service',
      'fwupd-offline-update.service',
      'packagekit-offline-update.service',
      'debug-shell.service',
    ]) {
      assert.ok(protectedUnit(n), n);
    }
    for (const n of ['nginx.service', 'syncthing.service', 'foo@bar.service', 'backup.timer']) {
      assert.equal(protectedUnit(n), undefined, n);
    }
  });
});

describe('systemd changes judged by name (no manager to ask)', () => {
  const CHANGES: [string, (u: string) => unknown[]][] = [
    ['StartUnit', (u) => [u, 'replace']],
    ['StartUnitWithFlags', (u) => [u, 'replace', 0]],
    ['StopUnit', (u) => [u, 'replace']],
    ['ReloadUnit', (u) => [u, 'replace']],
    ['RestartUnit', (u) => [u, 'replace']],
    ['TryRestartUnit', (u) => [u, 'fail']],
    ['ReloadOrRestartUnit', (u) => [u, 'replace']],
    ['ReloadOrTryRestartUnit', (u) => [u, 'replace']],
    ['EnqueueUnitJob', (u) => [u, 'start', 'replace']],
    ['EnqueueUnitJobMany', (u) => [['nginx.service', u], 'restart', 'replace', 0]],
    ['KillUnit', (u) => [u, 'all', 9]],
    ['KillUnitSubgroup', (u) => [u, 'all', 'sub', 9]],
    ['QueueSignalUnit', (u) => [u, 'main', 10, 1]],
    ['CleanUnit', (u) => [u, ['all']]],
    ['FreezeUnit', (u) => [u]],
    ['ThawUnit', (u) => [u]],
    ['ResetFailedUnit', (u) => [u]],
    ['SetUnitProperties', (u) => [u, true, [['MemoryMax', 1]]]],
    ['RefUnit', (u) => [u]],
    ['UnrefUnit', (u) => [u]],
    ['AttachProcessesToUnit', (u) => [u, '', []]],
    ['RemoveSubgroupFromUnit', (u) => [u, 'sub', 0]],
    ['AbandonScope', (u) => [u]],
    ['StartUnitReplace', (u) => ['nginx.service', u, 'replace']],
    ['EnableUnitFiles', (u) => [[u], false, false]],
    ['EnableUnitFilesWithFlags', (u) => [[u], 0]],
    ['DisableUnitFiles', (u) => [[u], false]],
    ['DisableUnitFilesWithFlagsAndInstallInfo', (u) => [[u], 0]],
    ['ReenableUnitFiles', (u) => [[u], false, false]],
    ['PresetUnitFilesWithMode', (u) => [[u], 'full', false, false]],
    ['MaskUnitFiles', (u) => [[u], false, true]],
    ['UnmaskUnitFiles', (u) => [[u], false]],
    ['RevertUnitFiles', (u) => [[u]]],
  ];
  // Targets, slices, scopes, mounts, automounts, swaps, devices: never changed, whatever the name.
  const NOT_CHANGEABLE = [
    'session.slice',
    'app.slice',
    'system.slice',
    'user-1000.slice',
    '-.slice',
    'init.scope',
    'session-2.scope',
    'multi-user.target',
    'default.target',
    'graphical-session.target',
    'runlevel3.target',
    'home.mount',
    '-.mount',
    'proc-sys-fs-binfmt_misc.automount',
    'dev-sda.device',
    'swapfile.swap',
    '/home',
    '/dev/sda',
    'SESSION.SLICE',
    'Home.Mount',
  ];
  const PROTECTED = [
    'systemd-exit.service',
    'systemd-exit',
    'rescue',
    'emergency',
    'systemd-soft-reboot.service',
    'systemd-kexec',
    'dbus-org.freedesktop.login1.service',
    'dbus-broker',
    'getty@tty3.service',
    'user@0.service',
    'dbus-mcp-standalone.service',
    'DBUS-MCP-STANDALONE.SOCKET',
    'Rescue.Service',
    'SSHD.SOCKET',
    'Poweroff.Target',
    'initrd-cleanup.service',
  ];

  for (const [member, args] of CHANGES) {
    it(`${member}: refuses every non-changeable type and every protected unit`, () => {
      for (const u of [...NOT_CHANGEABLE, ...PROTECTED]) {
        const c = judge(SD, member, { args: args(u) });
        assert.equal(c.kind, 'forbidden', `${member}(${u}): ${c.reason}`);
      }
      const ok = judge(SD, member, { args: args('nginx.service') });
      assert.equal(ok.kind, 'system_change', `${member}(nginx.service): ${ok.reason}`);
    });
  }

  it('names the type in the reason', () => {
    assert.match(
      judge(SD, 'StopUnit', { args: ['session.slice', 'replace'] }).reason,
      /slice unit is forbidden/,
    );
    assert.match(judge(SD, 'StartUnit', { args: ['runlevel0.target', 'replace'] }).reason, /power operation/);
  });

  it('an empty unit name, and "self", are the caller’s own unit', () => {
    for (const name of ['', 'self', 'SELF']) {
      for (const member of ['StopUnit', 'KillUnit', 'FreezeUnit'] as const) {
        const args =
          member === 'KillUnit' ? [name, 'all', 9] : member === 'StopUnit' ? [name, 'replace'] : [name];
        const r = judge(SD, member, { args });
        assert.equal(r.kind, 'forbidden', `${member}(${JSON.stringify(name)})`);
        assert.match(r.reason, /caller’s own unit/);
      }
    }
  });

  it('unit files: a path installs arbitrary code, other operations judge the file name', () => {
    for (const member of ['EnableUnitFiles', 'ReenableUnitFiles', 'PresetUnitFiles']) {
      const c = judge(SD, member, { args: [['/tmp/evil.service'], false, true] });
      assert.equal(c.kind, 'forbidden', member);
      assert.match(c.reason, /code execution/);
    }
    assert.equal(kindOf(SD, 'LinkUnitFiles', { args: [['/home/u/x.service'], false, false] }), 'forbidden');
    assert.equal(kindOf(SD, 'EnableUnitFilesWithFlags', { args: [['../x/nginx.service'], 0] }), 'forbidden');
    assert.equal(
      kindOf(SD, 'MaskUnitFiles', { args: [['/etc/systemd/system/sshd.service'], false, true] }),
      'forbidden',
    );
    assert.equal(kindOf(SD, 'DisableUnitFiles', { args: [['/x/ssh.socket'], false] }), 'forbidden');
    assert.equal(kindOf(SD, 'DisableUnitFiles', { args: [['/x/nginx.service'], false] }), 'system_change');
    assert.equal(
      kindOf(SD, 'EnableUnitFiles', { args: [['backup.timer', 'foo@.service'], false, false] }),
      'system_change',
    );
  });

  it('job modes: isolate, flush and replace-irreversibly reach other units; unknown modes are refused', () => {
    for (const mode of ['isolate', 'flush', 'replace-irreversibly', 'bogus', 'ISOLATE', '']) {
      assert.equal(kindOf(SD, 'StartUnit', { args: ['nginx.service', mode] }), 'forbidden', mode);
      assert.equal(
        kindOf(SD, 'EnqueueUnitJob', { args: ['nginx.service', 'start', mode] }),
        'forbidden',
        mode,
      );
      assert.equal(
        kindOf(UNIT, 'Start', { args: [mode], path: unitObjectPath('nginx.service') }),
        'forbidden',
        mode,
      );
    }
    for (const mode of [
      'fail',
      'replace',
      'ignore-dependencies',
      'ignore-requirements',
      'triggering',
      'lenient',
    ]) {
      assert.equal(kindOf(SD, 'StartUnit', { args: ['nginx.service', mode] }), 'system_change', mode);
    }
    assert.equal(kindOf(SD, 'EnqueueUnitJob', { args: ['nginx.service', 'bogus', 'replace'] }), 'forbidden');
  });

  it('unwraps variants around a unit name or a job mode, and refuses other shapes', () => {
    const typed = (body: unknown[]) => ({
      args: [],
      message: { interface: SD, member: 'StartUnit', signature: 'vv', body },
    });
    assert.equal(kindOf(SD, 'StartUnit', typed([variant('s', 'poweroff.target'), 'replace'])), 'forbidden');
    assert.equal(kindOf(SD, 'StartUnit', typed(['nginx.service', variant('s', 'isolate')])), 'forbidden');
    assert.equal(
      kindOf(SD, 'StartUnit', typed([variant('v', variant('s', 'rescue')), 'replace'])),
      'forbidden',
    );
    assert.equal(
      kindOf(SD, 'StartUnit', typed([variant('s', 'nginx.service'), variant('s', 'fail')])),
      'system_change',
    );
    // The JSON form of a variant, as explain and a refused conversion see it.
    assert.equal(
      kindOf(SD, 'StartUnit', { args: [{ signature: 's', value: 'reboot.target' }, 'replace'] }),
      'forbidden',
    );
    for (const args of [
      [['poweroff.target'], 'replace'],
      [42, 'replace'],
      [{ a: 'b' }, 'replace'],
      ['nginx.service'],
      ['nginx.service', 'replace', 'extra'],
      ['nginx.service', ['replace']],
    ]) {
      assert.equal(kindOf(SD, 'StartUnit', { args }), 'forbidden', JSON.stringify(args));
    }
  });

  it('unit objects: judged by the unit the path names; self, ids and other paths cannot be told', () => {
    for (const u of [...NOT_CHANGEABLE.filter((n) => !n.startsWith('/')), 'sshd.service', 'reboot.target']) {
      for (const member of ['Start', 'Stop', 'Restart', 'Kill', 'SetProperties', 'Freeze', 'Clean']) {
        const args = {
          Start: ['replace'],
          Stop: ['replace'],
          Restart: ['fail'],
          Kill: ['all', 9],
          SetProperties: [true, []],
          Freeze: [],
          Clean: [['all']],
        }[member];
        assert.equal(kindOf(UNIT, member, { path: unitObjectPath(u), args }), 'forbidden', `${member} ${u}`);
      }
    }
    const path = (label: string) => `/org/freedesktop/systemd1/unit/${label}`;
    for (const p of [
      path('self'),
      path('_'),
      path('0123456789abcdef0123456789abcdef'),
      '/org/freedesktop/systemd1',
      '/',
      path('foo'),
    ]) {
      assert.equal(kindOf(UNIT, 'Stop', { path: p, args: ['replace'] }), 'forbidden', p);
    }
    assert.equal(kindOf(UNIT, 'Restart', { path: path('SSHD_2ESERVICE'), args: ['replace'] }), 'forbidden');
    assert.equal(
      kindOf('org.freedesktop.systemd1.Scope', 'Abandon', {
        path: unitObjectPath('session-1.scope'),
        args: [],
      }),
      'forbidden',
    );
    assert.equal(
      kindOf('org.freedesktop.systemd1.Service', 'BindMount', {
        path: unitObjectPath('dbus.service'),
        args: ['/a', '/b', false, false],
      }),
      'forbidden',
    );
    assert.equal(
      kindOf('org.freedesktop.systemd1.Job', 'Cancel', {
        path: '/org/freedesktop/systemd1/job/12',
        args: [],
      }),
      'forbidden',
    );
    assert.equal(kindOf(SD, 'CancelJob', { args: [12] }), 'forbidden');
    assert.equal(
      kindOf(UNIT, 'Restart', { path: unitObjectPath('nginx.service'), args: ['replace'] }),
      'system_change',
    );
  });

  it('the manager is curated completely: unlisted members and interfaces are refused', () => {
    for (const m of [
      'EnqueueMarkedJobs',
      'ClearJobs',
      'ResetFailed',
      'PresetAllUnitFiles',
      'SetDefaultTarget',
      'AddDependencyUnitFiles',
      'StartUnitNow',
      'Exit',
      'SoftReboot',
      'SwitchRoot',
      'StartAuxiliaryScope',
      'CreateSnapshot',
      'FutureMember',
    ]) {
      assert.equal(kindOf(SD, m, { args: [] }), 'forbidden', m);
    }
    assert.equal(kindOf('org.freedesktop.systemd1.Future', 'Anything', { args: [] }), 'forbidden');
    assert.equal(kindOf(UNIT, 'Fly', { path: unitObjectPath('nginx.service'), args: [] }), 'forbidden');
    assert.equal(
      kindOf('ORG.FREEDESKTOP.SYSTEMD1.MANAGER', 'StartUnit', { args: ['poweroff.target', 'replace'] }),
      'forbidden',
    );
    for (const m of [
      'GetUnit',
      'LoadUnit',
      'ListUnits',
      'ListUnitFiles',
      'GetUnitFileState',
      'GetDefaultTarget',
      'Subscribe',
      'DumpUnitsMatchingPatterns',
      'GetUnitByPID',
    ]) {
      assert.equal(kindOf(SD, m), 'read', m);
    }
    assert.equal(kindOf(SD, 'Reload'), 'system_change');
  });

  it('properties: only resource controls may be set; writes of the manager’s watchdogs are power', () => {
    for (const prop of [
      'ExecStart',
      'ExecStartPre',
      'Environment',
      'User',
      'SuccessAction',
      'FailureAction',
      'Wants',
      'OnFailure',
      'Markers',
      'NoNewPrivileges',
    ]) {
      assert.equal(
        kindOf(SD, 'SetUnitProperties', { args: ['nginx.service', true, [[prop, 'x']]] }),
        'forbidden',
        prop,
      );
    }
    assert.equal(
      kindOf(SD, 'SetUnitProperties', {
        args: [
          'nginx.service',
          true,
          [
            ['MemoryMax', 1],
            ['CPUWeight', 10],
          ],
        ],
      }),
      'system_change',
    );
    assert.equal(
      kindOf(SD, 'SetUnitProperties', { args: ['nginx.service', true, 'ExecStart'] }),
      'forbidden',
    );
    const write = (iface: string, member: string) => judge(iface, member, { access: 'set', args: [1] }).kind;
    assert.equal(write(SD, 'LogLevel'), 'system_change');
    assert.equal(write(SD, 'RuntimeWatchdogUSec'), 'forbidden');
    assert.equal(write(SD, 'KExecWatchdogUSec'), 'forbidden');
    assert.equal(write(UNIT, 'Description'), 'forbidden');
    assert.equal(judge(UNIT, 'ActiveState', { access: 'get' }).kind, 'read');
  });

  it('processes moved into a unit: the caller itself, or a process whose unit the manager did not name', () => {
    assert.match(
      judge(SD, 'AttachProcessesToUnit', { args: ['nginx.service', '', [0]] }).reason,
      /caller itself/,
    );
    assert.equal(kindOf(SD, 'AttachProcessesToUnit', { args: ['nginx.service', '', [4242]] }), 'forbidden');
  });
});

describe('systemd changes judged by what the manager says', () => {
  const start = (unit: string, a: SystemdAnswers) =>
    judge(SD, 'StartUnit', { args: [unit, 'replace'], systemd: a });

  it('every name the unit goes by: aliases, Id, Following', () => {
    const logind = facts('systemd-logind.service', { Names: ['dbus-org.example.login.service'] });
    assert.equal(
      start('dbus-org.example.login.service', answers({ 'name:dbus-org.example.login.service': logind }))
        .kind,
      'forbidden',
    );
    assert.equal(
      start('ctrl.target', answers({ 'name:ctrl.target': facts('reboot.target') })).kind,
      'forbidden',
    );
    assert.equal(
      start('odd.service', answers({ 'name:odd.service': facts('reboot.target') })).kind,
      'forbidden',
    );
    const follows = facts('x.service', { Following: 'sshd.service' });
    follows.names.push('sshd.service');
    assert.equal(start('x.service', answers({ 'name:x.service': follows })).kind, 'forbidden');
    assert.equal(
      start('nginx.service', answers({ 'name:nginx.service': facts('nginx.service') })).kind,
      'system_change',
    );
    // The manager cannot unprotect a name: a lie about sshd's Id changes nothing.
    assert.equal(
      start('sshd.service', answers({ 'name:sshd.service': facts('nginx.service') })).kind,
      'forbidden',
    );
  });

  it('a unit whose end can power the machine off is a power operation', () => {
    const settings: [string, string][] = [
      ['SuccessAction', 'poweroff'],
      ['FailureAction', 'reboot'],
      ['StartLimitAction', 'reboot-force'],
      ['JobTimeoutAction', 'exit'],
      ['SuccessAction', 'soft-reboot'],
      ['FailureAction', 'halt-immediate'],
      ['OnFailureJobMode', 'isolate'],
      ['OnSuccessJobMode', 'flush'],
    ];
    for (const [prop, value] of settings) {
      const a = answers({ 'name:job.service': facts('job.service', { [prop]: value }) });
      assert.equal(start('job.service', a).kind, 'forbidden', `${prop}=${value}`);
      assert.equal(
        judge(SD, 'StopUnit', { args: ['job.service', 'replace'], systemd: a }).kind,
        'forbidden',
        `${prop}=${value}`,
      );
    }
    assert.equal(
      start('job.service', answers({ 'name:job.service': facts('job.service', { SuccessAction: 'none' }) }))
        .kind,
      'system_change',
    );
  });

  it('what the change starts or stops through dependencies', () => {
    const root = (props: Record<string, unknown>, deps: UnitFacts[]) =>
      answers({ 'name:app.service': facts('app.service', props) }, deps);
    const inactive = (id: string, p: Record<string, unknown> = {}) =>
      facts(id, { ActiveState: 'inactive', ...p });
    const active = (id: string, p: Record<string, unknown> = {}) =>
      facts(id, { ActiveState: 'active', ...p });
    const cases: [string, Record<string, unknown>, UnitFacts[], string][] = [
      ['Wants a power target', { Wants: ['poweroff.target'] }, [inactive('poweroff.target')], 'forbidden'],
      ['OnSuccess reboot', { OnSuccess: ['reboot.target'] }, [inactive('reboot.target')], 'forbidden'],
      ['OnFailure rescue', { OnFailure: ['rescue.target'] }, [inactive('rescue.target')], 'forbidden'],
      [
        'Requires a stopped protected unit',
        { Requires: ['sshd.service'] },
        [inactive('sshd.service')],
        'forbidden',
      ],
      [
        'Requires a running protected unit',
        { Requires: ['dbus.socket'] },
        [active('dbus.socket')],
        'system_change',
      ],
      [
        'Conflicts with a running protected unit',
        { Conflicts: ['sshd.service'] },
        [active('sshd.service')],
        'forbidden',
      ],
      [
        'ConflictedBy a running session target',
        { ConflictedBy: ['graphical-session.target'] },
        [active('graphical-session.target')],
        'forbidden',
      ],
      [
        'Conflicts with a stopped shutdown.target',
        { Conflicts: ['shutdown.target'] },
        [inactive('shutdown.target')],
        'system_change',
      ],
      [
        'Wants an ordinary target',
        { Wants: ['network-online.target'] },
        [inactive('network-online.target')],
        'system_change',
      ],
      [
        'two steps to poweroff',
        { Wants: ['b.service'] },
        [inactive('b.service', { Wants: ['poweroff.target'] }), inactive('poweroff.target')],
        'forbidden',
      ],
      [
        'a dependency that reboots when done',
        { Requires: ['c.service'] },
        [inactive('c.service', { SuccessAction: 'reboot' })],
        'forbidden',
      ],
      [
        'a timer that triggers exit',
        { Triggers: ['systemd-exit.service'] },
        [inactive('systemd-exit.service')],
        'forbidden',
      ],
    ];
    for (const [what, props, deps, kind] of cases) {
      assert.equal(start('app.service', root(props, deps)).kind, kind, what);
    }
    const stop = (props: Record<string, unknown>, deps: UnitFacts[]) =>
      judge(SD, 'StopUnit', {
        args: ['app.service', 'replace'],
        systemd: root({ ActiveState: 'active', ...props }, deps),
      }).kind;
    assert.equal(stop({ RequiredBy: ['sshd.service'] }, [active('sshd.service')]), 'forbidden');
    assert.equal(
      stop({ BoundBy: ['graphical-session.target'] }, [active('graphical-session.target')]),
      'forbidden',
    );
    assert.equal(stop({ RequiredBy: ['other.service'] }, [active('other.service')]), 'system_change');
    assert.equal(stop({ RequiredBy: ['sshd.service'] }, [inactive('sshd.service')]), 'system_change');
    const truncated = root({ Wants: ['x.service'] }, []);
    truncated.truncated = true;
    assert.equal(start('app.service', truncated).kind, 'forbidden');
  });

  it('units named by invocation id, job or process are judged by the unit the manager names', () => {
    const id = '/org/freedesktop/systemd1/unit/0123456789abcdef0123456789abcdef';
    assert.equal(
      kindOf(UNIT, 'Stop', {
        path: id,
        args: ['replace'],
        systemd: answers({ [`path:${id}`]: facts('sshd.service') }),
      }),
      'forbidden',
    );
    assert.equal(
      kindOf(UNIT, 'Stop', {
        path: id,
        args: ['replace'],
        systemd: answers({ [`path:${id}`]: facts('nginx.service') }),
      }),
      'system_change',
    );
    const job = '/org/freedesktop/systemd1/job/7';
    assert.equal(
      kindOf('org.freedesktop.systemd1.Job', 'Cancel', {
        path: job,
        args: [],
        systemd: answers({ [`job:${job}`]: facts('poweroff.target') }),
      }),
      'forbidden',
    );
    assert.equal(
      kindOf('org.freedesktop.systemd1.Job', 'Cancel', {
        path: job,
        args: [],
        systemd: answers({ [`job:${job}`]: facts('nginx.service') }),
      }),
      'system_change',
    );
    assert.equal(
      kindOf(SD, 'CancelJob', { args: [7], systemd: answers({ 'job:7': facts('session-3.scope') }) }),
      'forbidden',
    );
    const pids = answers({
      'name:nginx.service': facts('nginx.service'),
      'pid:4242': facts('dbus-mcp-standalone.service'),
    });
    assert.equal(
      kindOf(SD, 'AttachProcessesToUnit', { args: ['nginx.service', '', [4242]], systemd: pids }),
      'forbidden',
    );
  });

  it('walks only what changes, and reports what it still needs to ask', () => {
    const a = answers({}, [facts('b.service', { ActiveState: 'active', Wants: ['c.service'] })]);
    const w = walkEffects(
      [{ facts: facts('a.service', { Wants: ['b.service', 'd.service'] }), effect: 'start', label: 'a' }],
      a,
    );
    assert.deepEqual(w.missing, ['d.service']);
    assert.deepEqual(w.reached, [], 'b is running: starting a does not start it, nor c');
  });
});

describe('the session and systemd’s daemons', () => {
  it('ending sessions through logind is changing the session scope: refused', () => {
    for (const m of ['TerminateSession', 'KillSession', 'TerminateUser', 'KillUser', 'TerminateSeat']) {
      assert.equal(kindOf('org.freedesktop.login1.Manager', m, { args: ['2'] }), 'forbidden', m);
    }
    assert.equal(kindOf('org.freedesktop.login1.Session', 'Terminate', { args: [] }), 'forbidden');
    assert.equal(kindOf('org.freedesktop.login1.User', 'Kill', { args: ['all', 9] }), 'forbidden');
    assert.equal(kindOf('org.freedesktop.login1.Manager', 'ListSessions'), 'read');
    assert.equal(kindOf('org.freedesktop.login1.Session', 'Lock', { args: [] }), 'system_change');
  });

  it('releasing a session ends it; lingering starts or stops a user manager: refused', () => {
    const release = judge('org.freedesktop.login1.Manager', 'ReleaseSession', { args: ['3'] });
    assert.equal(release.kind, 'forbidden');
    assert.match(release.reason, /ends login sessions/);
    for (const enable of [true, false]) {
      const linger = judge('org.freedesktop.login1.Manager', 'SetUserLinger', {
        args: [1001, enable, false],
      });
      assert.equal(linger.kind, 'forbidden');
      assert.match(linger.reason, /user@UID\.service/);
    }
    assert.equal(kindOf('org.freedesktop.login1.Manager', 'LockSessions', { args: [] }), 'system_change');
  });

  it('a directory or image mounted into a running unit is code execution, whatever the unit', () => {
    for (const u of ['nginx.service', 'syncthing.service', 'sshd.service']) {
      const r = judge(SD, 'BindMountUnit', { args: [u, '/home/me/bin', '/usr/bin', false, true] });
      assert.equal(r.kind, 'forbidden', u);
      assert.match(r.reason, /code execution/, u);
      assert.equal(
        kindOf(SD, 'MountImageUnit', { args: [u, '/tmp/x.raw', '/opt', false, true, []] }),
        'forbidden',
      );
    }
    for (const m of ['BindMount', 'MountImage']) {
      assert.equal(
        kindOf('org.freedesktop.systemd1.Service', m, { path: unitObjectPath('nginx.service'), args: [] }),
        'forbidden',
        m,
      );
    }
  });

  it('importd images and homed accounts: pulls, imports and account changes refused, reads stay reads', () => {
    for (const [iface, m] of [
      ['org.freedesktop.import1.Manager', 'PullRaw'],
      ['org.freedesktop.import1.Manager', 'PullTarEx'],
      ['org.freedesktop.import1.Manager', 'ImportTar'],
      ['org.freedesktop.import1.Manager', 'ImportFileSystemEx'],
      ['org.freedesktop.import1.Manager', 'ExportRaw'],
      ['org.freedesktop.home1.Manager', 'CreateHome'],
      ['org.freedesktop.home1.Manager', 'CreateHomeEx'],
      ['org.freedesktop.home1.Manager', 'RemoveHome'],
      ['org.freedesktop.home1.Manager', 'ChangePasswordHome'],
      ['org.freedesktop.home1.Manager', 'AuthenticateHome'],
      ['org.freedesktop.home1.Manager', 'UpdateHomeEx'],
      ['org.freedesktop.home1.Manager', 'DeactivateAllHomes'],
      ['org.freedesktop.home1.Home', 'Remove'],
      ['org.freedesktop.home1.Home', 'Deactivate'],
      ['org.freedesktop.home1.Home', 'SomethingNew'],
    ]) {
      assert.equal(kindOf(iface as string, m as string, { args: [] }), 'forbidden', `${iface}.${m}`);
    }
    assert.equal(kindOf('org.freedesktop.import1.Manager', 'ListTransfers'), 'read');
    assert.equal(kindOf('org.freedesktop.import1.Transfer', 'Cancel', { args: [] }), 'system_change');
    assert.equal(kindOf('org.freedesktop.home1.Manager', 'ListHomes'), 'read');
    assert.equal(kindOf('org.freedesktop.home1.Manager', 'LockHome', { args: ['me'] }), 'system_change');
  });

  it('machined shells, portabled attachments and sysupdated updates run code: refused', () => {
    for (const [iface, m] of [
      ['org.freedesktop.machine1.Manager', 'OpenMachineShell'],
      ['org.freedesktop.machine1.Machine', 'OpenLogin'],
      ['org.freedesktop.machine1.Manager', 'CopyToMachine'],
      ['org.freedesktop.portable1.Manager', 'AttachImage'],
      ['org.freedesktop.portable1.Image', 'ReattachWithExtensions'],
      ['org.freedesktop.sysupdate1.Target', 'Update'],
      ['org.freedesktop.machine1.Manager', 'SomethingNew'],
    ]) {
      assert.equal(kindOf(iface as string, m as string, { args: [] }), 'forbidden', `${iface}.${m}`);
    }
    assert.equal(kindOf('org.freedesktop.machine1.Manager', 'ListMachines'), 'read');
  });
});
