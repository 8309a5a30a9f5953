import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestBus } from '../buses.js';
import { nameOwner } from '../buses.js';
import dbus from 'dbus-next';
import { onCleanup, tempDir } from '../cleanup.js';
import type { DesktopUser, Proc } from './procs.js';
import { desktopUser, mustRun, startProcess, userDir, waitUntil } from './procs.js';

/**
 * One desktop session for a test file: a directory (home, runtime dir, service files), the
 * desktop user, and a private session bus that the desktop user runs (so services it activates
 * run as that user, as on a real login) and that any user may connect to (the tests check
 * from root with the services' own tools). A private system-type bus is started on request.
 */

export interface DesktopBus extends TestBus {
  readonly proc: Proc;
}

export interface Desktop {
  readonly dir: string;
  readonly user: DesktopUser;
  readonly home: string;
  readonly runtimeDir: string;
  /** Where activatable services are installed (the session bus's only servicedir). */
  readonly servicesDir: string;
  readonly session: DesktopBus;
  /** The environment of a process in this session (PATH, HOME, XDG_*, the bus addresses). */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /**
   * Installs `name` as D-Bus activatable: a `.service` file whose Exec runs `exec` with `vars`
   * set (through env(1)). The bus is told to reload, so the next request for the name starts it.
   */
  installService(name: string, exec: string[], vars?: Record<string, string>): Promise<void>;
  /** org.freedesktop.DBus.UpdateActivationEnvironment, as a session start script does (with gdbus). */
  updateActivationEnvironment(vars: Record<string, string>): Promise<void>;
  /** A private bus configured like the system bus that the desktop user may use. */
  startSystemBus(): Promise<DesktopBus>;
}

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

function sessionConfig(servicesDir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- A private session bus for the real-desktop tests: any user may connect (the desktop runs
     as an unprivileged user, the checks as root), activation from one servicedir only. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>${servicesDir}</servicedir>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/** dbus-daemon with `config` on `socketPath`, resolved once it printed its address. */
async function startDaemon(
  name: string,
  kind: 'session' | 'system',
  config: string,
  socketPath: string,
  env: NodeJS.ProcessEnv,
  user: DesktopUser | undefined,
): Promise<DesktopBus> {
  const proc = startProcess(
    name,
    'dbus-daemon',
    [`--config-file=${config}`, '--nofork', '--print-address=1', `--address=unix:path=${socketPath}`],
    { env, user },
  );
  const printed = await waitUntil(
    `${name} to print its address`,
    () => /^(unix:\S+)\n/.exec(proc.stdout())?.[1],
    {
      proc,
      ms: 10_000,
    },
  );
  return {
    kind,
    address: `unix:path=${socketPath}`,
    printedAddress: printed,
    socketPath,
    pid: proc.pid,
    proc,
    stop: () => proc.stop(),
    restart: () => Promise.reject(new Error('a desktop bus is not restarted')),
  };
}

export async function createDesktop(label: string): Promise<Desktop> {
  const user = desktopUser();
  const dir = tempDir(`desktop-${label}`);
  chmodSync(dir, 0o755);
  const home = userDir(user, join(dir, 'home'));
  const runtimeDir = userDir(user, join(dir, 'runtime'));
  const servicesDir = userDir(user, join(dir, 'services'), 0o755);
  const busDir = userDir(user, join(dir, 'session-bus'), 0o755);
  for (const sub of ['.cache', '.config', '.local/share']) userDir(user, join(home, sub));
  const configFile = join(dir, 'session-bus.conf');
  writeFileSync(configFile, sessionConfig(servicesDir));
  chmodSync(configFile, 0o644);

  const base = (): NodeJS.ProcessEnv => ({
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    USER: user.switched ? 'nobody' : (process.env.USER ?? 'user'),
    LANG: 'C.UTF-8',
    XDG_RUNTIME_DIR: runtimeDir,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    // No accessibility bus here; GTK and Qt would otherwise ask for one on every start.
    NO_AT_BRIDGE: '1',
    GTK_A11Y: 'none',
  });
  const session = await startDaemon(
    `session bus (${label})`,
    'session',
    configFile,
    join(busDir, 'bus'),
    base(),
    user,
  );
  let system: DesktopBus | undefined;

  const desktop: Desktop = {
    dir,
    user,
    home,
    runtimeDir,
    servicesDir,
    session,
    env(extra = {}) {
      return {
        ...base(),
        DBUS_SESSION_BUS_ADDRESS: session.address,
        ...(system ? { DBUS_SYSTEM_BUS_ADDRESS: system.address } : {}),
        ...extra,
      };
    },
    async installService(name, exec, vars = {}) {
      const assignments = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
      const line = ['/usr/bin/env', ...assignments, ...exec].join(' ');
      const file = join(servicesDir, `${name}.service`);
      writeFileSync(file, `[D-BUS Service]\nName=${name}\nExec=${line}\n`);
      chmodSync(file, 0o644);
      await mustRun(
        'gdbus',
        [
          'call',
          '-e',
          '-d',
          'org.freedesktop.DBus',
          '-o',
          '/org/freedesktop/DBus',
          '-m',
          'org.freedesktop.DBus.ReloadConfig',
        ],
        { env: desktop.env(), user },
      );
    },
    async updateActivationEnvironment(vars) {
      const dict = `{${Object.entries(vars)
        .map(([k, v]) => `'${k}': '${v}'`)
        .join(', ')}}`;
      // The bus accepts this only from its own user.
      await mustRun(
        'gdbus',
        [
          'call',
          '-e',
          '-d',
          'org.freedesktop.DBus',
          '-o',
          '/org/freedesktop/DBus',
          '-m',
          'org.freedesktop.DBus.UpdateActivationEnvironment',
          dict,
        ],
        { env: desktop.env(), user },
      );
    },
    async startSystemBus() {
      if (system) return system;
      const sysDir = userDir(user, join(dir, 'system-bus'), 0o755);
      // The daemon runs as the test process (root in CI) as a system bus does; the desktop user
      // reaches its socket through the 0755 directory.
      system = await startDaemon(
        `system bus (${label})`,
        'system',
        join(FIXTURES, 'system-bus.conf'),
        join(sysDir, 'bus'),
        process.env,
        undefined,
      );
      chmodSync(system.socketPath, 0o777);
      return system;
    },
  };
  return desktop;
}

/** Waits until `name` has an owner on `bus` (failing early when `proc` exits). */
export function waitForName(bus: TestBus, name: string, proc?: Proc, ms = 20_000): Promise<string> {
  return waitUntil(`${name} on the bus`, () => nameOwner(bus, name), { proc, ms });
}

/**
 * Holds well-known `names` on `bus` from a connection of the test, as the other applications of
 * a desktop do (a real session has dozens of names); released when the test file ends.
 */
export async function holdNames(bus: TestBus, names: string[]): Promise<void> {
  const conn = dbus.sessionBus({ busAddress: bus.address });
  conn.on('error', () => undefined);
  onCleanup(() => conn.disconnect());
  for (const n of names) await conn.requestName(n, 4 /* DO_NOT_QUEUE */);
}

/** True while `name` has an owner on `bus`. */
export async function hasName(bus: TestBus, name: string): Promise<boolean> {
  return (await nameOwner(bus, name)) !== undefined;
}
