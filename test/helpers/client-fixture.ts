import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Variant } from 'dbus-next';
import type { MockService, TestBus } from './buses.js';
import { addMockMethod, addMockProperty, mockCall, startMock, startSessionBus } from './buses.js';
import type { Served } from './supervisor.js';
import { programPath, startServe, tempDir } from './supervisor.js';

/**
 * One desktop for the tests that drive dbus-mcp with the MCP clients people run: a private session
 * bus with a service of our own, a notification daemon, an MPRIS player, Klipper, the screenshot
 * portal, GNOME Shell's screenshot interface and a user systemd (python3-dbusmock each); a
 * configuration at level medium with two operator rules; and a `serve` on a socket for the
 * socat / `dbus-mcp connect` routes. The system bus address leads nowhere (a failure some tools
 * report). Everything is reaped by ./cleanup.ts when the test file ends.
 */

export const SERVICE = 'com.example.Clients';
export const TARGET = { service: SERVICE, path: '/com/example/Clients', interface: 'com.example.Clients' };

const PORTAL_TEMPLATE = join(import.meta.dirname, '..', 'fixtures', 'mocks', 'portal_screenshot.py');
const PLAYER = 'org.mpris.MediaPlayer2.Player';
const GNOME_SHOT = {
  path: '/org/gnome/Shell/Screenshot',
  interface: 'org.gnome.Shell.Screenshot',
  name: 'ScreenshotWindow',
  inSig: 'bbbs',
  outSig: 'bs',
};

/** A 2×1 PNG (valid signature and IHDR; the tools only read the header). */
export function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4);
  ihdr.writeUInt32BE(2, 8);
  ihdr.writeUInt32BE(1, 12);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

/** How a client reaches the program: the command an MCP host would be configured with. */
export interface ServerCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export type Route = 'direct' | 'socat' | 'connect';
export const ROUTES: readonly Route[] = ['direct', 'socat', 'connect'];

export interface ClientFixture {
  bus: TestBus;
  dir: string;
  configFile: string;
  served: Served;
  /** The command for `route`: `dbus-mcp stdio`, `socat UNIX-CONNECT:… STDIO` or `dbus-mcp connect`. */
  command(route: Route): ServerCommand;
  /** Makes the service behind a task tool fail (or work again) while the session goes on. */
  break(what: Breakable): Promise<void>;
  repair(what: Breakable): Promise<void>;
  /** Emits com.example.Clients.Changed(text) from the service. */
  emitChanged(text: string): Promise<void>;
}

export type Breakable = 'clipboard-read' | 'clipboard-write' | 'portal' | 'gnome-shell';

/** PATH and HOME only (nothing of the test runner's DBUS_* or DBUS_MCP_* leaks in), plus `extra`. */
export function baseEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...extra };
}

export async function startClientFixture(): Promise<ClientFixture> {
  const dir = tempDir('dbus-mcp-clients-');
  const bus = await startSessionBus();
  const png = join(dir, 'portal-shot.png');
  writeFileSync(png, tinyPng());
  const pngUri = pathToFileURL(png).href;

  const [own, , player, klipper, portal, gnome, systemd] = await Promise.all([
    startMock(bus, [SERVICE, TARGET.path, TARGET.interface]),
    startMock(bus, ['--template', 'notification_daemon']),
    startMock(bus, ['--session', 'org.mpris.MediaPlayer2.fixture', '/org/mpris/MediaPlayer2', PLAYER]),
    startMock(bus, ['--session', 'org.kde.klipper', '/klipper', 'org.kde.klipper.klipper']),
    startMock(bus, ['--template', PORTAL_TEMPLATE, '-p', JSON.stringify({ uri: pngUri })], {
      name: 'org.freedesktop.portal.Desktop',
      path: '/org/freedesktop/portal/desktop',
    }),
    startMock(bus, ['--session', 'org.gnome.Shell.Screenshot', GNOME_SHOT.path, GNOME_SHOT.interface]),
    startMock(bus, ['--template', 'systemd'], { name: 'org.freedesktop.systemd1' }),
  ]);
  await setUpOwnService(bus, own);
  await setUpPlayer(bus, player);
  await mockCall(bus, systemd, 'AddMockUnit', 's', ['demo.service']);
  await mockCall(bus, systemd, 'AddMockUnit', 's', ['ssh.service']);
  await addMockMethod(bus, systemd, {
    interface: 'org.freedesktop.systemd1.Manager',
    name: 'ListUnits',
    inSig: '',
    outSig: 'a(ssssssouso)',
    code:
      'ret = [(k, k + " (mock)", "loaded", objects[v].Get("org.freedesktop.systemd1.Unit", "ActiveState"), ' +
      '"dead", "", v, 0, "", "/") for k, v in self.units.items()]',
  });

  const clipboard = {
    read: { interface: 'org.kde.klipper.klipper', name: 'getClipboardContents', inSig: '', outSig: 's' },
    write: { interface: 'org.kde.klipper.klipper', name: 'setClipboardContents', inSig: 's', outSig: '' },
  };
  const works: Record<Breakable, () => Promise<void>> = {
    'clipboard-read': () =>
      addMockMethod(bus, klipper, { ...clipboard.read, code: 'ret = getattr(self, "clip", "")' }),
    'clipboard-write': () => addMockMethod(bus, klipper, { ...clipboard.write, code: 'self.clip = args[0]' }),
    portal: async () => void (await mockCall(bus, portal, 'SetResponse', 'us', [0, pngUri])),
    'gnome-shell': () =>
      addMockMethod(bus, gnome, {
        ...GNOME_SHOT,
        code: `open(args[3], "wb").write(bytes.fromhex("${tinyPng().toString('hex')}")); ret = (True, args[3])`,
      }),
  };
  const fails: Record<Breakable, () => Promise<void>> = {
    'clipboard-read': () =>
      addMockMethod(bus, klipper, { ...clipboard.read, code: raise('org.kde.klipper.Error.Locked') }),
    'clipboard-write': () =>
      addMockMethod(bus, klipper, { ...clipboard.write, code: raise('org.kde.klipper.Error.Full') }),
    portal: async () => void (await mockCall(bus, portal, 'SetResponse', 'us', [1, pngUri])),
    // What GNOME Shell 41+ answers a caller it has not allowlisted.
    'gnome-shell': () =>
      addMockMethod(bus, gnome, { ...GNOME_SHOT, code: raise('org.freedesktop.DBus.Error.AccessDenied') }),
  };
  await Promise.all(Object.values(works).map((w) => w()));

  mkdirSync(join(dir, 'policy.d'));
  writeFileSync(
    join(dir, 'policy.d', 'clients.rules'),
    [
      `deny session ${SERVICE} ${TARGET.path} ${TARGET.interface} Locked`,
      'allow session org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager StartUnit',
      '',
    ].join('\n'),
  );
  const configFile = join(dir, 'config');
  writeFileSync(
    configFile,
    [
      'SAFETY_LEVEL="medium"',
      `SESSION_BUS_ADDRESS="${bus.address}"`,
      `SYSTEM_BUS_ADDRESS="unix:path=${join(dir, 'no-system-bus')}"`,
      `POLICY_DIRS="${join(dir, 'policy.d')}"`,
      `SCREENSHOT_DIR="${join(dir, 'screenshots')}"`,
      // The second notification of a client is refused: a rate-limit refusal every session sees.
      'RATE_LIMIT_NOTIFY="1"',
      // Every session gets its own first notification: the service-wide bucket (shared by all
      // sessions of this serve, by default as large as the per-client one) is lifted here.
      'RATE_LIMIT_SERVICE_NOTIFY="0"',
      'RATE_LIMIT_SCREENSHOT="100"',
      '',
    ].join('\n'),
  );
  const served = await startServe({ dir });

  return {
    bus,
    dir,
    configFile,
    served,
    command(route) {
      switch (route) {
        case 'direct':
          return {
            command: process.execPath,
            args: [programPath(), 'stdio'],
            env: baseEnv(dir, { DBUS_MCP_CONFIG: configFile }),
          };
        case 'socat':
          return {
            command: 'socat',
            args: [`UNIX-CONNECT:${served.socketPath}`, 'STDIO'],
            env: baseEnv(dir),
          };
        case 'connect':
          return {
            command: process.execPath,
            args: [programPath(), 'connect'],
            env: baseEnv(dir, { DBUS_MCP_CONFIG: configFile, DBUS_MCP_SOCKET_PATH: served.socketPath }),
          };
      }
    },
    break: (what) => fails[what](),
    repair: (what) => works[what](),
    emitChanged: async (text) =>
      void (await mockCall(bus, own, 'EmitSignal', 'sssav', [
        TARGET.interface,
        'Changed',
        's',
        [new Variant('s', text)],
      ])),
  };
}

const raise = (name: string) => `raise dbus.exceptions.DBusException("refused by the test", name="${name}")`;

async function setUpOwnService(bus: TestBus, own: MockService): Promise<void> {
  const prop = (name: string, signature: string, value: unknown) =>
    addMockProperty(bus, own, { interface: TARGET.interface, name, signature, value });
  await prop('Answer', 'i', 42);
  await prop('Mood', 's', 'calm');
  await prop('Locked', 's', 'no');
  const method = (name: string, inSig: string, outSig: string, code: string) =>
    addMockMethod(bus, own, { interface: TARGET.interface, name, inSig, outSig, code });
  // Read-named methods: allowed at every level. Fail is a call that may change state.
  await method('GetGreeting', 's', 's', 'ret = "hello " + args[0]');
  await method(
    'GetBroken',
    '',
    's',
    'raise dbus.exceptions.DBusException("it broke", name="com.example.Error.Broken")',
  );
  await method('Fail', '', '', '');
}

async function setUpPlayer(bus: TestBus, player: MockService): Promise<void> {
  await mockCall(bus, player, 'AddProperties', 'sa{sv}', [
    PLAYER,
    {
      PlaybackStatus: new Variant('s', 'Paused'),
      Volume: new Variant('d', 0.5),
      Position: new Variant('x', 0n),
      Metadata: new Variant('a{sv}', { 'xesam:title': new Variant('s', 'Fixture song') }),
    },
  ]);
  await mockCall(bus, player, 'AddProperties', 'sa{sv}', [
    'org.mpris.MediaPlayer2',
    { Identity: new Variant('s', 'Fixture player') },
  ]);
  const set = (v: string) => `self.Set("${PLAYER}", "PlaybackStatus", "${v}")`;
  await mockCall(bus, player, 'AddMethods', 'sa(ssss)', [
    PLAYER,
    [
      ['Play', '', '', set('Playing')],
      ['Pause', '', '', set('Paused')],
      ['Stop', '', '', set('Stopped')],
    ],
  ]);
}
