import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Variant } from 'dbus-next';
import type { MockService, TestBus } from '../helpers/buses.js';
import {
  addMockMethod,
  mockCall,
  nameOwner,
  startMock,
  startSessionBus,
  startSystemLikeBus,
} from '../helpers/buses.js';
import { onCleanup, tempDir, trackPid, untrackPid } from '../helpers/cleanup.js';
import type { InMemorySession } from '../helpers/mcp.js';
import { callTool, connectInMemory, errorName, resultText, toolError } from '../helpers/mcp.js';

const PORTAL_TEMPLATE = join(import.meta.dirname, '..', 'fixtures', 'mocks', 'portal_screenshot.py');
const PLAYER = 'org.mpris.MediaPlayer2.Player';

/** A 2×1 PNG (valid signature and IHDR; the tools only read the header). */
function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4);
  ihdr.writeUInt32BE(2, 8);
  ihdr.writeUInt32BE(1, 12);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

async function startPlayer(bus: TestBus, id: string, status: string, title: string): Promise<MockService> {
  const mock = await startMock(bus, [
    '--session',
    `org.mpris.MediaPlayer2.${id}`,
    '/org/mpris/MediaPlayer2',
    PLAYER,
  ]);
  await mockCall(bus, mock, 'AddProperties', 'sa{sv}', [
    PLAYER,
    {
      PlaybackStatus: new Variant('s', status),
      Volume: new Variant('d', 0.5),
      Position: new Variant('x', 2_000_000n),
      Metadata: new Variant('a{sv}', {
        'xesam:title': new Variant('s', title),
        'xesam:artist': new Variant('as', ['Artist A', 'Artist B']),
        'mpris:length': new Variant('x', 180_000_000n),
      }),
    },
  ]);
  await mockCall(bus, mock, 'AddProperties', 'sa{sv}', [
    'org.mpris.MediaPlayer2',
    { Identity: new Variant('s', `Player ${id}`) },
  ]);
  const set = (v: string) => `self.Set("${PLAYER}", "PlaybackStatus", "${v}")`;
  await mockCall(bus, mock, 'AddMethods', 'sa(ssss)', [
    PLAYER,
    [
      ['Play', '', '', set('Playing')],
      ['Pause', '', '', set('Paused')],
      ['PlayPause', '', '', ''],
      ['Next', '', '', ''],
      ['Previous', '', '', ''],
      ['Stop', '', '', set('Stopped')],
      ['Seek', 'x', '', ''],
    ],
  ]);
  return mock;
}

async function startSystemd(bus: TestBus, units: string[]): Promise<MockService> {
  const mock = await startMock(bus, ['--template', 'systemd'], { name: 'org.freedesktop.systemd1' });
  for (const u of units) await mockCall(bus, mock, 'AddMockUnit', 's', [u]);
  await addMockMethod(bus, mock, {
    interface: 'org.freedesktop.systemd1.Manager',
    name: 'ListUnits',
    inSig: '',
    outSig: 'a(ssssssouso)',
    code:
      'ret = [(k, k + " (mock)", "loaded", objects[v].Get("org.freedesktop.systemd1.Unit", "ActiveState"), ' +
      '"dead", "", v, 0, "", "/") for k, v in self.units.items()]',
  });
  return mock;
}

describe('desktop and system tools with their services present', () => {
  let session: TestBus;
  let system: TestBus;
  let notifications: MockService;
  let playing: MockService;
  let klipper: MockService;
  let portal: MockService;
  let userSystemd: MockService;
  const shotsDir = join(tempDir('shots'), 'screenshots');
  const open: InMemorySession[] = [];

  const connect = async (level: string, extra: Record<string, string> = {}) => {
    const s = await connectInMemory({
      settings: {
        SESSION_BUS_ADDRESS: session.address,
        SYSTEM_BUS_ADDRESS: system.address,
        SAFETY_LEVEL: level as 'high',
        SCREENSHOT_DIR: shotsDir,
        ...extra,
      },
    });
    open.push(s);
    return s;
  };

  before(async () => {
    session = await startSessionBus();
    system = await startSystemLikeBus();
    notifications = await startMock(session, ['--template', 'notification_daemon']);
    await startPlayer(session, 'apaused', 'Paused', 'Quiet song');
    playing = await startPlayer(session, 'testplayer', 'Playing', 'Loud song');
    klipper = await startMock(session, [
      '--session',
      'org.kde.klipper',
      '/klipper',
      'org.kde.klipper.klipper',
    ]);
    await mockCall(session, klipper, 'AddMethods', 'sa(ssss)', [
      'org.kde.klipper.klipper',
      [
        ['getClipboardContents', '', 's', 'ret = getattr(self, "clip", "")'],
        ['setClipboardContents', 's', '', 'self.clip = args[0]'],
      ],
    ]);
    const png = join(tempDir('portal'), 'shot.png');
    writeFileSync(png, tinyPng());
    portal = await startMock(
      session,
      ['--template', PORTAL_TEMPLATE, '-p', JSON.stringify({ uri: pathToFileURL(png).href })],
      {
        name: 'org.freedesktop.portal.Desktop',
        path: '/org/freedesktop/portal/desktop',
      },
    );
    userSystemd = await startSystemd(session, ['demo.service', 'ssh.service']);
    await startSystemd(system, ['nginx.service']);
    const upower = await startMock(system, ['--template', 'upower', '-p', '{"OnBattery": true}']);
    await mockCall(system, upower, 'SetupDisplayDevice', 'uuddddxxbsu', [
      2,
      2,
      42.5,
      10,
      20,
      5,
      3600n,
      0n,
      true,
      'battery',
      1,
    ]);
    const nm = await startMock(system, ['--template', 'networkmanager'], { path: '/org/freedesktop' });
    const dev = (await mockCall(system, nm, 'AddWiFiDevice', 'ssi', ['wifi0', 'wlan0', 100]))[0] as string;
    const ap = (
      await mockCall(system, nm, 'AddAccessPoint', 'ssssuuuyu', [
        dev,
        'AP1',
        'HomeNet',
        '00:11:22:33:44:55',
        2,
        2412,
        54000,
        80,
        0,
      ])
    )[0];
    const con = (await mockCall(system, nm, 'AddWiFiConnection', 'ssss', [dev, 'Con1', 'HomeNet', '']))[0];
    await mockCall(system, nm, 'AddActiveConnection', 'assssu', [[dev], con, ap, 'Active1', 2]);
    const logind = await startMock(system, ['--template', 'logind']);
    await mockCall(system, logind, 'AddSession', 'ssusb', ['c1', 'seat0', 1000, 'alice', true]);
    await startMock(system, ['--template', 'timedated', '-p', '{"Timezone": "Europe/Berlin"}']);
    const host = await startMock(system, [
      '--system',
      'org.freedesktop.hostname1',
      '/org/freedesktop/hostname1',
      'org.freedesktop.hostname1',
    ]);
    await mockCall(system, host, 'AddProperties', 'sa{sv}', [
      'org.freedesktop.hostname1',
      {
        Hostname: new Variant('s', 'testhost'),
        OperatingSystemPrettyName: new Variant('s', 'Debian GNU/Linux 13'),
        KernelName: new Variant('s', 'Linux'),
        KernelRelease: new Variant('s', '6.12.0'),
        Chassis: new Variant('s', 'laptop'),
      },
    ]);
  });
  after(async () => {
    for (const s of open) await s.close();
  });

  test('notify sends Notify with urgency, actions and timeout, and returns the id', async () => {
    const s = await connect('high');
    const r = await callTool(s.client, 'notify', {
      title: 'Build done',
      message: 'All green',
      urgency: 'critical',
      timeout_ms: 5000,
      actions: ['Open', { key: 'later', label: 'Later' }],
    });
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    assert.equal(typeof r.structuredContent?.id, 'number');
    const [calls] = (await mockCall(session, notifications, 'GetMethodCalls', 's', ['Notify'])) as [
      [bigint, unknown[]][],
    ];
    const args = calls.at(-1)?.[1] as Variant[];
    const values = args.map((v) => v.value);
    assert.equal(values[3], 'Build done');
    assert.equal(values[4], 'All green');
    assert.deepEqual(values[5], ['Open', 'Open', 'later', 'Later']);
    assert.equal((values[6] as Record<string, Variant>).urgency?.value, 2);
    assert.equal(values[7], 5000);
  });

  test('clipboard: refused at high, written and read back through Klipper at medium', async () => {
    const high = await connect('high');
    const denied = await callTool(high.client, 'clipboard_read');
    assert.equal(errorName(denied), 'dbus-mcp.POLICY_DENIED');
    const s = await connect('medium');
    const w = await callTool(s.client, 'clipboard_write', { text: 'hello ✓' });
    assert.equal(w.isError, undefined, JSON.stringify(w.content));
    assert.equal(w.structuredContent?.provider, 'klipper');
    const r = await callTool(s.client, 'clipboard_read');
    assert.deepEqual(r.structuredContent, { text: 'hello ✓', length: 7, provider: 'klipper' });
  });

  test('capture_screen through the portal handshake: image content, saved file, pruning, cancel', async () => {
    const high = await connect('high');
    assert.equal(errorName(await callTool(high.client, 'capture_screen')), 'dbus-mcp.POLICY_DENIED');
    const s = await connect('medium', { SCREENSHOT_MAX_FILES: '2', RATE_LIMIT_SCREENSHOT: '20' });
    let last: Awaited<ReturnType<typeof callTool>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await callTool(s.client, 'capture_screen');
      assert.equal(last.isError, undefined, JSON.stringify(last.content));
    }
    const image = last?.content.find((c) => c.type === 'image');
    assert.ok(image && image.type === 'image');
    assert.equal(image.mimeType, 'image/png');
    assert.deepEqual(Buffer.from(image.data, 'base64'), tinyPng());
    const sc = last?.structuredContent as { path: string; provider: string; width: number; height: number };
    assert.equal(sc.provider, 'portal');
    assert.deepEqual([sc.width, sc.height], [2, 1]);
    assert.equal(statSync(shotsDir).mode & 0o777, 0o700);
    assert.equal(statSync(sc.path).mode & 0o777, 0o600);
    assert.equal(readdirSync(shotsDir).length, 2, 'pruned to SCREENSHOT_MAX_FILES');
    const listed = await callTool(s.client, 'list_screenshot_files');
    assert.equal(listed.structuredContent?.count, 2);
    assert.equal((listed.structuredContent?.files as { path: string }[])[0]?.path, sc.path);

    // Regression: a portal that sends Response before its method reply is not missed (we listen first).
    await mockCall(session, portal, 'SetDelay', 'u', [0]);
    const fast = await callTool(s.client, 'capture_screen');
    assert.equal(fast.isError, undefined, JSON.stringify(fast.content));
    await mockCall(session, portal, 'SetResponse', 'us', [1, 'file:///nonexistent.png']);
    const cancelled = await callTool(s.client, 'capture_screen');
    assert.equal(errorName(cancelled), 'dbus-mcp.PORTAL_REQUEST_FAILED');
    assert.match(JSON.stringify(cancelled.content), /cancelled/);
    const window = await callTool(s.client, 'capture_active_window');
    assert.equal(errorName(window), 'dbus-mcp.SERVICE_UNAVAILABLE');
    assert.match(JSON.stringify(window.content), /GNOME Shell/);
  });

  test('media_control: list, default player, actions, seek and volume', async () => {
    const s = await connect('high');
    const list = await callTool(s.client, 'media_control', { action: 'list' });
    const players = list.structuredContent?.players as { player: string; status: string; artist: string }[];
    assert.deepEqual(
      players.map((p) => [p.player, p.status]),
      [
        ['org.mpris.MediaPlayer2.apaused', 'Paused'],
        ['org.mpris.MediaPlayer2.testplayer', 'Playing'],
      ],
    );
    assert.equal(players[1]?.artist, 'Artist A, Artist B');
    const now = await callTool(s.client, 'media_control', { action: 'now_playing' });
    const np = now.structuredContent?.now_playing as Record<string, unknown>;
    assert.deepEqual(
      [np.player, np.title, np.length_s, np.position_s],
      ['org.mpris.MediaPlayer2.testplayer', 'Loud song', 180, 2],
    );
    const seek = await callTool(s.client, 'media_control', { action: 'seek', value: -2.5 });
    assert.equal(seek.isError, undefined, JSON.stringify(seek.content));
    const [seeks] = (await mockCall(session, playing, 'GetMethodCalls', 's', ['Seek'])) as [
      [bigint, Variant[]][],
    ];
    assert.equal(seeks.at(-1)?.[1][0]?.value, -2_500_000n);
    const vol = await callTool(s.client, 'media_control', {
      action: 'volume',
      value: 0.25,
      player: 'testplayer',
    });
    assert.equal((vol.structuredContent?.now_playing as { volume: number }).volume, 0.25);
    const tooLoud = await callTool(s.client, 'media_control', { action: 'volume', value: 1.5 });
    assert.equal(errorName(tooLoud), 'dbus-mcp.INVALID_ARGUMENT');
    const pause = await callTool(s.client, 'media_control', { action: 'pause' });
    assert.equal((pause.structuredContent?.now_playing as { status: string }).status, 'Paused');
    assert.equal(pause.structuredContent?.changed, true);
    // Issue 15 point 6: nothing to change is said without waiting; a change not reported is said too.
    const again = await callTool(s.client, 'media_control', { action: 'pause' });
    assert.equal(again.structuredContent?.changed, false);
    assert.match(resultText(again), /^No change: the player was already Paused\./);
    const next = await callTool(s.client, 'media_control', { action: 'next', player: 'testplayer' });
    assert.equal(next.isError, undefined, JSON.stringify(next.content));
    assert.equal(next.structuredContent?.changed, false);
    assert.match(resultText(next), /did not report a new track within 1000 ms/);
    const missing = await callTool(s.client, 'media_control', { action: 'play', player: 'nosuch' });
    assert.equal(errorName(missing), 'dbus-mcp.SERVICE_UNAVAILABLE');
    assert.match(JSON.stringify(missing.content), /apaused/);
  });

  test('status reads power, network, host, time and sessions', async () => {
    const s = await connect('high');
    const r = await callTool(s.client, 'status');
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    const st = r.structuredContent as Record<string, Record<string, unknown>>;
    assert.equal(st.power?.available, true);
    assert.equal(st.power?.on_battery, true);
    assert.deepEqual(st.power?.battery, {
      percentage: 42.5,
      state: 'discharging',
      time_to_empty_s: 3600,
      time_to_full_s: 0,
    });
    assert.equal(st.network?.connectivity, 'full');
    assert.equal(st.network?.state, 'connected-global');
    assert.deepEqual(st.network?.active_connections, [
      { id: 'HomeNet', type: '802-11-wireless', state: 'activated', default: true },
    ]);
    assert.equal(st.host?.hostname, 'testhost');
    assert.equal(st.host?.kernel, 'Linux 6.12.0');
    assert.equal(st.time?.timezone, 'Europe/Berlin');
    assert.equal(st.sessions?.count, 1);
    assert.equal((st.sessions?.sessions as { user: string }[])[0]?.user, 'alice');
  });

  test('discover groups the services by capability with the tool to use', async () => {
    const s = await connect('high');
    const r = await callTool(s.client, 'discover');
    const caps = r.structuredContent?.capabilities as {
      capability: string;
      tools: string[];
      services: { name: string }[];
    }[];
    const by = Object.fromEntries(caps.map((c) => [c.capability, c]));
    assert.equal(by['media players']?.services.length, 2);
    assert.deepEqual(by['notifications']?.tools, ['notify']);
    assert.ok(by['clipboard']);
    assert.ok(by['portals']);
    assert.equal(by['systemd']?.services.length, 2, 'user and system manager');
    // The status groups are exactly what status reads, on the system bus.
    const names = (c: string) => by[c]?.services.map((x) => x.name);
    assert.deepEqual(names('power'), ['org.freedesktop.UPower']);
    assert.deepEqual(names('network'), ['org.freedesktop.NetworkManager']);
    assert.deepEqual(names('host and time'), ['org.freedesktop.hostname1', 'org.freedesktop.timedate1']);
    assert.deepEqual(names('sessions'), ['org.freedesktop.login1']);
    for (const c of ['power', 'network', 'host and time', 'sessions'])
      assert.deepEqual(by[c]?.tools, ['status']);
    assert.ok((r.structuredContent?.missing as string[]).includes('bluetooth'));
  });

  test('list_units and unit_status read the user and system managers', async () => {
    const s = await connect('high');
    const user = await callTool(s.client, 'list_units', { pattern: 'demo*' });
    assert.deepEqual(user.structuredContent?.units, [
      {
        name: 'demo.service',
        description: 'demo.service (mock)',
        load: 'loaded',
        active: 'inactive',
        sub: 'dead',
      },
    ]);
    const sys = await callTool(s.client, 'list_units', { manager: 'system' });
    assert.deepEqual(
      (sys.structuredContent?.units as { name: string }[]).map((u) => u.name),
      ['nginx.service'],
    );
    const st = await callTool(s.client, 'unit_status', { unit: 'demo' });
    assert.equal(st.isError, undefined, JSON.stringify(st.content));
    assert.equal(st.structuredContent?.unit, 'demo.service');
    assert.equal(st.structuredContent?.active_state, 'inactive');
  });

  test('manage_unit: user units at low, protected units never, system units only by operator rule', async () => {
    const high = await connect('high');
    assert.equal(
      errorName(await callTool(high.client, 'manage_unit', { unit: 'demo', action: 'start' })),
      'dbus-mcp.POLICY_DENIED',
    );
    const low = await connect('low');
    const started = await callTool(low.client, 'manage_unit', { unit: 'demo', action: 'start' });
    assert.equal(started.isError, undefined, JSON.stringify(started.content));
    assert.equal(started.structuredContent?.result, 'done');
    assert.match(String(started.structuredContent?.job), /^\/org\/freedesktop\/systemd1\/Job\/\d+$/);
    const [starts] = (await mockCall(session, userSystemd, 'GetMethodCalls', 's', ['StartUnit'])) as [
      [bigint, Variant[]][],
    ];
    assert.deepEqual(
      starts.at(-1)?.[1].map((v) => v.value),
      ['demo.service', 'replace'],
    );
    const st = await callTool(low.client, 'unit_status', { unit: 'demo.service' });
    assert.equal(st.structuredContent?.active_state, 'active');
    const ssh = await callTool(low.client, 'manage_unit', { unit: 'ssh', action: 'stop' });
    assert.equal(errorName(ssh), 'dbus-mcp.POLICY_DENIED');
    assert.equal(toolError(ssh).kind, 'forbidden');
    const sysDenied = await callTool(low.client, 'manage_unit', {
      unit: 'nginx',
      action: 'start',
      manager: 'system',
    });
    assert.equal(errorName(sysDenied), 'dbus-mcp.POLICY_DENIED');

    const rules = tempDir('rules');
    mkdirSync(join(rules, 'policy.d'));
    writeFileSync(
      join(rules, 'policy.d', 'units.rules'),
      'allow system org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager StartUnit\n',
    );
    const ruled = await connect('low', { POLICY_DIRS: join(rules, 'policy.d') });
    const sysStarted = await callTool(ruled.client, 'manage_unit', {
      unit: 'nginx',
      action: 'start',
      manager: 'system',
    });
    assert.equal(sysStarted.isError, undefined, JSON.stringify(sysStarted.content));
    assert.equal(sysStarted.structuredContent?.result, 'done');
    const sysStop = await callTool(ruled.client, 'manage_unit', {
      unit: 'nginx',
      action: 'stop',
      manager: 'system',
    });
    assert.equal(errorName(sysStop), 'dbus-mcp.POLICY_DENIED', 'the rule allows StartUnit only');
  });
});

describe('desktop and system tools with their services missing', () => {
  let session: TestBus;
  let system: TestBus;
  let s: InMemorySession;

  before(async () => {
    session = await startSessionBus();
    system = await startSystemLikeBus();
    s = await connectInMemory({
      settings: {
        SESSION_BUS_ADDRESS: session.address,
        SYSTEM_BUS_ADDRESS: system.address,
        SAFETY_LEVEL: 'low',
        SCREENSHOT_DIR: join(tempDir('noshots'), 'shots'),
      },
    });
  });
  after(async () => {
    await s?.close();
  });

  const unavailable: [string, Record<string, unknown>, RegExp][] = [
    ['notify', { title: 't', message: 'm' }, /notification/i],
    ['clipboard_read', {}, /no clipboard service on this desktop/i],
    ['clipboard_write', { text: 'x' }, /no clipboard service on this desktop/i],
    ['capture_screen', {}, /no screenshot service/i],
    ['capture_active_window', {}, /GNOME Shell/],
    ['media_control', { action: 'list' }, /no media player/i],
    ['media_control', { action: 'play' }, /no media player/i],
    ['list_units', {}, /no systemd user manager/i],
    ['unit_status', { unit: 'x.service', manager: 'system' }, /no systemd system manager/i],
    ['manage_unit', { unit: 'x.service', action: 'restart' }, /no systemd user manager/i],
  ];
  for (const [tool, args, message] of unavailable) {
    test(`${tool} ${JSON.stringify(args)} says its service is unavailable`, async () => {
      const r = await callTool(s.client, tool, args);
      assert.equal(r.isError, true);
      assert.equal(errorName(r), 'dbus-mcp.SERVICE_UNAVAILABLE', JSON.stringify(r.content));
      assert.match(JSON.stringify(r.content), message);
    });
  }

  test('unit_status without systemd says its hint once (regression: it was in the message too)', async () => {
    for (const manager of ['user', 'system']) {
      const r = await callTool(s.client, 'unit_status', { unit: 'demo', manager });
      const { hint } = toolError(r);
      assert.ok(typeof hint === 'string' && hint.length > 0, JSON.stringify(r));
      assert.equal(resultText(r).split(hint).length - 1, 1, resultText(r));
    }
  });

  test('status marks every section unavailable and still names the host', async () => {
    const r = await callTool(s.client, 'status');
    assert.equal(r.isError, undefined);
    const st = r.structuredContent as Record<
      string,
      { available: boolean; reason?: string; hostname?: string }
    >;
    for (const k of ['power', 'network', 'host', 'time', 'sessions']) {
      assert.equal(st[k]?.available, false, k);
      assert.match(String(st[k]?.reason), /not available/, k);
    }
    assert.equal(typeof st.host?.hostname, 'string');
  });

  test('discover reports what is missing; an unreachable system bus is named', async () => {
    const r = await callTool(s.client, 'discover');
    assert.deepEqual(r.structuredContent?.capabilities, []);
    assert.ok((r.structuredContent?.missing as string[]).includes('media players'));
    const other = await connectInMemory({
      settings: { SESSION_BUS_ADDRESS: session.address, SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/bus' },
    });
    try {
      const d = await callTool(other.client, 'discover');
      const buses = d.structuredContent?.buses as Record<string, { available: boolean; reason?: string }>;
      assert.equal(buses.session?.available, true);
      assert.equal(buses.system?.available, false);
      assert.match(String(buses.system?.reason), /DBUS_CONNECT_FAILED/);
      const st = await callTool(other.client, 'status', { sections: ['power'] });
      assert.equal((st.structuredContent?.power as { available: boolean }).available, false);
    } finally {
      await other.close();
    }
  });

  test('list_screenshot_files is empty before any capture', async () => {
    const r = await callTool(s.client, 'list_screenshot_files');
    assert.equal(r.structuredContent?.count, 0);
  });

  test('KWin without a portal is explained, not attempted (no fd passing)', async () => {
    const kwin = await startMock(session, [
      '--session',
      'org.kde.KWin',
      '/org/kde/KWin/ScreenShot2',
      'org.kde.KWin.ScreenShot2',
    ]);
    try {
      const r = await callTool(s.client, 'capture_screen');
      assert.equal(errorName(r), 'dbus-mcp.UNSUPPORTED_TYPE');
      assert.match(JSON.stringify(r.content), /file descriptor/);
    } finally {
      await kwin.stop();
    }
  });

  test('a notification server that fails is reported with its D-Bus error', async () => {
    const failing = await startMock(session, [
      '--session',
      'org.freedesktop.Notifications',
      '/org/freedesktop/Notifications',
      'org.freedesktop.Notifications',
    ]);
    try {
      await addMockMethod(session, failing, {
        interface: 'org.freedesktop.Notifications',
        name: 'Notify',
        inSig: 'susssasa{sv}i',
        outSig: 'u',
        code: 'raise dbus.exceptions.DBusException("full", name="org.example.Error.Full")',
      });
      const r = await callTool(s.client, 'notify', { title: 't', message: 'm' });
      assert.equal(errorName(r), 'org.example.Error.Full');
    } finally {
      await failing.stop();
    }
  });
});

/** Runs a real systemd daemon binary against a private system-like bus until the test file ends. */
async function startRealDaemon(bus: TestBus, binary: string, name: string): Promise<void> {
  const child = spawn(binary, [], {
    env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, SYSTEMD_LOG_LEVEL: 'warning' },
    stdio: 'ignore',
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${binary} did not start`);
  trackPid(pid);
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    untrackPid(pid);
  });
  for (let i = 0; i < 100 && (await nameOwner(bus, name)) === undefined; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(await nameOwner(bus, name), `${binary} did not take ${name}`);
}

const HOSTNAMED = '/usr/lib/systemd/systemd-hostnamed';
const TIMEDATED = '/usr/lib/systemd/systemd-timedated';

describe(
  'status against the real systemd-hostnamed and systemd-timedated',
  { skip: !existsSync(HOSTNAMED) || !existsSync(TIMEDATED) },
  () => {
    test('host and time sections come from the real daemons', async () => {
      const session = await startSessionBus();
      const system = await startSystemLikeBus();
      await startRealDaemon(system, HOSTNAMED, 'org.freedesktop.hostname1');
      await startRealDaemon(system, TIMEDATED, 'org.freedesktop.timedate1');
      const s = await connectInMemory({
        settings: { SESSION_BUS_ADDRESS: session.address, SYSTEM_BUS_ADDRESS: system.address },
      });
      try {
        const r = await callTool(s.client, 'status', { sections: ['host', 'time'] });
        const st = r.structuredContent as Record<string, Record<string, unknown>>;
        assert.equal(st.host?.available, true, JSON.stringify(st.host));
        assert.equal(st.host?.hostname, hostname());
        assert.match(String(st.host?.kernel), /^Linux /);
        // Outside systemd, timedated's GetAll fails (it asks systemd1 about NTP units): the section
        // then carries the daemon's own D-Bus error instead of failing the whole call.
        if (st.time?.available) assert.equal(typeof st.time.timezone, 'string');
        else assert.match(String(st.time?.reason), /^[A-Za-z_.]+\.[A-Za-z_]+: /);
      } finally {
        await s.close();
      }
    });
  },
);
