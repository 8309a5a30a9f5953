import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus, { Message, Variant } from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { formatType, parseSignature } from '../../src/worker/dbus/signature.js';
import { onCleanup, trackDir, trackPid, untrackPid } from './cleanup.js';

/**
 * Private dbus-daemon buses and python3-dbusmock services for tests. Everything started here
 * is registered with ./cleanup.ts and reaped when the test file ends.
 */

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const PYTHON = '/usr/bin/python3';

export interface TestBus {
  readonly kind: 'session' | 'system';
  /** `unix:path=…` without guid: stays valid across `restart()`. */
  readonly address: string;
  /** The address as the running daemon printed it (with its `guid=`). */
  readonly printedAddress: string;
  readonly socketPath: string;
  /** Pid of the running daemon (changes on restart). */
  readonly pid: number;
  /** Stops the daemon (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Kills the daemon (SIGKILL, as a crash) and starts a new one on the same socket path. */
  restart(): Promise<void>;
}

export interface MockService {
  readonly pid: number;
  /** The well-known name the mock owns on the bus. */
  readonly name: string;
  /** Its main object path: the PATH argument; for templates the name spelled as a path, unless given. */
  readonly path: string;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitExit(child, graceMs))) {
      child.kill('SIGKILL');
      await waitExit(child, 5000);
    }
  }
  untrackPid(pid);
}

function collect(child: ChildProcess): () => string {
  let out = '';
  const add = (b: Buffer) => {
    out = (out + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

async function spawnDaemon(
  config: string,
  socketPath: string,
): Promise<{ child: ChildProcess; printed: string }> {
  const child = spawn(
    'dbus-daemon',
    [`--config-file=${config}`, '--nofork', '--print-address=1', `--address=unix:path=${socketPath}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error('dbus-daemon did not start');
  trackPid(child.pid);
  const printed = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`dbus-daemon printed no address: ${err}`)), 10_000);
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited (${code}): ${err}`));
    });
  });
  return { child, printed };
}

async function startBus(kind: 'session' | 'system', config: string): Promise<TestBus> {
  const dir = mkdtempSync(join(tmpdir(), `dbus-mcp-${kind}-`));
  trackDir(dir);
  const socketPath = join(dir, 'bus');
  let current = await spawnDaemon(config, socketPath);
  let stopped = false;
  const bus: TestBus = {
    kind,
    address: `unix:path=${socketPath}`,
    get printedAddress() {
      return current.printed;
    },
    socketPath,
    get pid() {
      return current.child.pid ?? -1;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      closeHelper(bus);
      await stopChild(current.child);
    },
    async restart() {
      closeHelper(bus);
      const old = current.child;
      old.kill('SIGKILL');
      await waitExit(old, 5000);
      if (old.pid !== undefined) untrackPid(old.pid);
      current = await spawnDaemon(config, socketPath);
    },
  };
  onCleanup(() => bus.stop());
  return bus;
}

/** A private session bus: everything allowed, no activation. */
export function startSessionBus(): Promise<TestBus> {
  return startBus('session', join(FIXTURES, 'session-bus.conf'));
}

/** A service the bus starts on demand: its well-known name and the command line it is started with. */
export interface ActivatableService {
  name: string;
  exec: string;
}

/**
 * A private session bus like startSessionBus that can also start `services` on demand: a
 * `.service` file for each in its own servicedir. The started process gets the bus address as
 * DBUS_SESSION_BUS_ADDRESS (from DBUS_STARTER_ADDRESS); stop what it started with stopOwner.
 */
export function startActivatingSessionBus(services: ActivatableService[]): Promise<TestBus> {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-activation-'));
  trackDir(dir);
  const serviceDir = join(dir, 'services');
  mkdirSync(serviceDir);
  for (const service of services) {
    const exec = `/bin/sh -c 'DBUS_SESSION_BUS_ADDRESS="$DBUS_STARTER_ADDRESS" exec ${service.exec}'`;
    writeFileSync(
      join(serviceDir, `${service.name}.service`),
      `[D-BUS Service]\nName=${service.name}\nExec=${exec}\n`,
    );
  }
  const base = readFileSync(join(FIXTURES, 'session-bus.conf'), 'utf8');
  const config = join(dir, 'bus.conf');
  writeFileSync(
    config,
    base.replace('</busconfig>', `  <servicedir>${serviceDir}</servicedir>\n</busconfig>`),
  );
  return startBus('session', config);
}

/** Kills the process that owns `name` on `bus` (one the bus started) and waits until the name is free. */
export async function stopOwner(bus: TestBus, name: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await driver(bus, 'GetConnectionUnixProcessID', 's', [name]))[0]);
  } catch {
    return; // nobody owns it
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while ((await nameOwner(bus, name)) !== undefined) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A private bus of `kind` run with the dbus-daemon configuration file `config`. */
export function startBusWithConfig(kind: 'session' | 'system', config: string): Promise<TestBus> {
  return startBus(kind, config);
}

/** A private bus configured like the system bus (test/fixtures/system-bus.conf). */
export function startSystemLikeBus(): Promise<TestBus> {
  return startBus('system', join(FIXTURES, 'system-bus.conf'));
}

// ---- a plain dbus-next client for the helpers (independent of the code under test) ----

const helpers = new WeakMap<TestBus, MessageBus>();

function helperBus(bus: TestBus): MessageBus {
  let b = helpers.get(bus);
  if (!b) {
    b = dbus.sessionBus({ busAddress: bus.address });
    b.on('error', () => helpers.delete(bus));
    helpers.set(bus, b);
    onCleanup(() => closeHelper(bus));
  }
  return b;
}

function closeHelper(bus: TestBus): void {
  const b = helpers.get(bus);
  helpers.delete(bus);
  b?.disconnect();
}

/** One method call through the helper connection; rejects on error replies and after 10 s. */
export async function rawCall(
  bus: TestBus,
  destination: string,
  path: string,
  iface: string,
  member: string,
  signature = '',
  body: unknown[] = [],
): Promise<unknown[]> {
  const msg = new Message({ destination, path, interface: iface, member, signature, body });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`helper call ${member} timed out`)), 10_000);
  });
  try {
    const reply = await Promise.race([helperBus(bus).call(msg), timeout]);
    return (reply?.body ?? []) as unknown[];
  } finally {
    clearTimeout(timer);
  }
}

const driver = (bus: TestBus, member: string, signature = '', body: unknown[] = []) =>
  rawCall(
    bus,
    'org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    'org.freedesktop.DBus',
    member,
    signature,
    body,
  );

/** The number of match rules the bus holds for `uniqueName` (Debug.Stats.GetConnectionStats). */
export async function matchRuleCount(bus: TestBus, uniqueName: string): Promise<number> {
  const [stats] = await rawCall(
    bus,
    'org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    'org.freedesktop.DBus.Debug.Stats',
    'GetConnectionStats',
    's',
    [uniqueName],
  );
  const rules = (stats as Record<string, Variant>).MatchRules;
  if (!rules) throw new Error('GetConnectionStats has no MatchRules');
  return Number(rules.value);
}

/**
 * Every message `uniqueName` sends from now on, as a monitor connection sees it
 * (org.freedesktop.DBus.Monitoring.BecomeMonitor; the tests' buses run as the same user).
 */
export async function watchSender(
  bus: TestBus,
  uniqueName: string,
): Promise<{ messages: Message[]; stop(): void }> {
  const monitor = dbus.sessionBus({ busAddress: bus.address });
  monitor.on('error', () => undefined);
  const messages: Message[] = [];
  monitor.on('message', (m: Message) => {
    if (m.sender === uniqueName) messages.push(m);
  });
  await monitor.call(
    new Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus.Monitoring',
      member: 'BecomeMonitor',
      signature: 'asu',
      body: [[`sender='${uniqueName}'`], 0],
    }),
  );
  const stop = () => monitor.disconnect();
  onCleanup(stop);
  return { messages, stop };
}

/** Current owner (unique name) of `name`, or undefined when nobody owns it. */
export async function nameOwner(bus: TestBus, name: string): Promise<string | undefined> {
  try {
    const [owner] = await driver(bus, 'GetNameOwner', 's', [name]);
    return owner as string;
  } catch {
    return undefined;
  }
}

async function namesOfPid(bus: TestBus, pid: number): Promise<string[]> {
  const [names] = await driver(bus, 'ListNames');
  const out: string[] = [];
  for (const n of (names as string[]).filter((x) => !x.startsWith(':') && x !== 'org.freedesktop.DBus')) {
    try {
      const [p] = await driver(bus, 'GetConnectionUnixProcessID', 's', [n]);
      if (p === pid) out.push(n);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Starts `/usr/bin/python3 -m dbusmock ARGS` against `bus` (both DBUS_*_BUS_ADDRESS variables
 * point at it, so `--session`/`--system` and templates' default bus all land there) and waits
 * until the process owns a well-known name (`opts.name` when given).
 */
export function startMock(
  bus: TestBus,
  args: string[],
  opts: { name?: string; path?: string; timeoutMs?: number } = {},
): Promise<MockService> {
  return startPythonService(bus, ['-m', 'dbusmock', ...args], opts);
}

/** A fixture service written in Python (test/fixtures/NAME.py) on `bus`, waited for like startMock. */
export function startFixtureService(
  bus: TestBus,
  script: string,
  args: string[],
  opts: { name?: string; path?: string; timeoutMs?: number } = {},
): Promise<MockService> {
  return startPythonService(bus, [join(FIXTURES, script), ...args], opts);
}

async function startPythonService(
  bus: TestBus,
  argv: string[],
  opts: { name?: string; path?: string; timeoutMs?: number },
): Promise<MockService> {
  const args = argv[0] === '-m' ? argv.slice(2) : argv.slice(1);
  const child = spawn(PYTHON, argv, {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address, DBUS_SYSTEM_BUS_ADDRESS: bus.address },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('dbusmock did not start');
  trackPid(pid);
  const output = collect(child);
  const stop = () => stopChild(child);
  onCleanup(stop);
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      untrackPid(pid);
      throw new Error(`python3 ${argv.join(' ')} exited: ${output()}`);
    }
    const names = await namesOfPid(bus, pid);
    const name = opts.name === undefined ? names[0] : names.find((n) => n === opts.name);
    if (name !== undefined) {
      const positional = args.filter((a) => !a.startsWith('-'));
      const templated = args.some((a) => a === '-t' || a.startsWith('--template'));
      // Templates put their main object at the path spelled like the name (login1, UPower, …).
      const path = opts.path ?? (templated ? `/${name.replaceAll('.', '/')}` : (positional[1] ?? '/'));
      return { pid, name, path, stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`python3 ${argv.join(' ')} owned no name in time: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A call on the mock's `org.freedesktop.DBus.Mock` interface (at `path`, default its main object). */
export function mockCall(
  bus: TestBus,
  mock: MockService,
  member: string,
  signature: string,
  body: unknown[],
  path = mock.path,
): Promise<unknown[]> {
  return rawCall(bus, mock.name, path, 'org.freedesktop.DBus.Mock', member, signature, body);
}

/** Mock.AddMethod: `code` is Python run with `args` (and may set `ret`). */
export async function addMockMethod(
  bus: TestBus,
  mock: MockService,
  m: { path?: string; interface: string; name: string; inSig: string; outSig: string; code: string },
): Promise<void> {
  await mockCall(bus, mock, 'AddMethod', 'sssss', [m.interface, m.name, m.inSig, m.outSig, m.code], m.path);
}

/** Mock.AddProperty with a value of the given single-type signature. */
export async function addMockProperty(
  bus: TestBus,
  mock: MockService,
  p: { path?: string; interface: string; name: string; signature: string; value: unknown },
): Promise<void> {
  await mockCall(
    bus,
    mock,
    'AddProperty',
    'ssv',
    [p.interface, p.name, new Variant(p.signature, p.value)],
    p.path,
  );
}

/** Mock.EmitSignal: `args` in dbus-next form, one per complete type of `signature`. */
export async function emitMockSignal(
  bus: TestBus,
  mock: MockService,
  s: { path?: string; interface: string; name: string; signature: string; args: unknown[] },
): Promise<void> {
  const types = parseSignature(s.signature).map(formatType);
  if (types.length !== s.args.length)
    throw new Error(`emitMockSignal: ${types.length} types, ${s.args.length} args`);
  const variants = s.args.map((a, i) => new Variant(types[i] ?? 'v', a));
  await mockCall(bus, mock, 'EmitSignal', 'sssav', [s.interface, s.name, s.signature, variants], s.path);
}

/** A third peer on `bus`: a plain dbus-next connection, independent of the code under test. */
export function thirdPeer(bus: TestBus): MessageBus {
  const b = dbus.sessionBus({ busAddress: bus.address });
  b.on('error', () => undefined);
  onCleanup(() => b.disconnect());
  return b;
}

/** The unique name of a dbus-next connection once its Hello is answered. */
export async function peerName(b: MessageBus): Promise<string> {
  const named = b as unknown as { name: string | null };
  for (let i = 0; i < 100 && !named.name; i++) await new Promise((r) => setTimeout(r, 20));
  if (!named.name) throw new Error('the peer did not connect');
  return named.name;
}
