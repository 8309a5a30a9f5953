import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import dbus, { Message, Variant } from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { stopChild } from '../../test/support/processes.js';
import { makeTempDir } from '../../test/support/temp.js';

export { stopChild } from '../../test/support/processes.js';

/**
 * Processes the bench starts: a private dbus-daemon, Python services, the supervisor. This is a
 * plain script, not a node:test file, so it keeps its own registry instead of test/helpers/cleanup.ts
 * (which hooks node:test `after` and would print a TAP report): `cleanup()` stops everything newest
 * first, and an `exit` hook SIGKILLs whatever is left, so an aborted run leaves no process behind.
 */

export const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const PYTHON = '/usr/bin/python3';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const tasks: Array<() => Promise<void> | void> = [];

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A fresh `dbus-mcp-<name>-XXXXXX` temp dir, removed by `cleanup()`. */
export function tempDir(name: string): string {
  const dir = makeTempDir(name);
  dirs.add(dir);
  return dir;
}

export function onCleanup(task: () => Promise<void> | void): void {
  tasks.push(task);
}

export function spawnTracked(file: string, args: string[], options: SpawnOptions): ChildProcess {
  return track(spawn(file, args, options));
}

export async function cleanup(): Promise<void> {
  while (tasks.length > 0) {
    try {
      await tasks.pop()?.();
    } catch (e) {
      console.error('cleanup task failed:', e);
    }
  }
  await Promise.all([...children].reverse().map((c) => stopChild(c)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export interface Bus {
  address: string;
  pid: number;
  /** A dbus-next connection of the bench's own (for setup, the raw baseline and bus statistics). */
  conn: MessageBus;
  call(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature?: string,
    body?: unknown[],
  ): Promise<unknown[]>;
}

/** A private session bus (test/fixtures/session-bus.conf: everything allowed, Debug.Stats on). */
export async function startBus(): Promise<Bus> {
  const dir = tempDir('bench-bus');
  const address = `unix:path=${join(dir, 'bus')}`;
  const child = spawnTracked(
    'dbus-daemon',
    [
      `--config-file=${join(FIXTURES, 'session-bus.conf')}`,
      '--nofork',
      '--print-address=1',
      `--address=${address}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((res, rej) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) res();
    });
    child.once('exit', (code) => rej(new Error(`dbus-daemon exited (${code})`)));
  });
  const conn = dbus.sessionBus({ busAddress: address });
  conn.on('error', (e: unknown) => console.error('bench bus connection error:', e));
  onCleanup(() => conn.disconnect());
  const call: Bus['call'] = async (destination, path, iface, member, signature = '', body = []) => {
    const reply = await conn.call(
      new Message({ destination, path, interface: iface, member, signature, body }),
    );
    return (reply?.body ?? []) as unknown[];
  };
  return { address, pid: child.pid ?? -1, conn, call };
}

export interface Service {
  name: string;
  pid: number;
}

async function waitForName(bus: Bus, name: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service for ${name} exited (${child.exitCode})`);
    const [has] = await bus.call(
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'NameHasOwner',
      's',
      [name],
    );
    if (has === true) return;
    if (Date.now() > until) throw new Error(`${name} did not appear on the bus`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startPython(bus: Bus, argv: string[], name: string): Promise<Service> {
  const child = spawnTracked(PYTHON, argv, {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return waitForName(bus, name, child).then(() => ({ name, pid: child.pid ?? -1 }));
}

export const MOCK = {
  name: 'com.example.Bench',
  path: '/com/example/Bench',
  iface: 'com.example.Bench',
  property: 'Version',
};

/** `get_property` of the mock's property: what every tool figure calls. */
export const GET_PROPERTY_ARGS = {
  bus: 'session',
  service: MOCK.name,
  path: MOCK.path,
  interface: MOCK.iface,
  property: MOCK.property,
};

/** python3-dbusmock on `bus` with one string property (MOCK.iface.Version = "1.2.3"). */
export async function startPropertyMock(bus: Bus): Promise<Service> {
  const svc = await startPython(
    bus,
    ['-m', 'dbusmock', '--session', MOCK.name, MOCK.path, MOCK.iface],
    MOCK.name,
  );
  await bus.call(MOCK.name, MOCK.path, 'org.freedesktop.DBus.Mock', 'AddProperty', 'ssv', [
    MOCK.iface,
    MOCK.property,
    new Variant('s', '1.2.3'),
  ]);
  return svc;
}

/** test/fixtures/object-tree.py with `count` objects under /com/example/Tree. */
export function startObjectTree(
  bus: Bus,
  name: string,
  count: number,
  objectManager: boolean,
): Promise<Service> {
  const args = [join(FIXTURES, 'object-tree.py'), name, String(count)];
  if (objectManager) args.push('--object-manager');
  return startPython(bus, args, name);
}

/** The number of match rules the bus holds for `uniqueName` (Debug.Stats.GetConnectionStats). */
export async function matchRuleCount(bus: Bus, uniqueName: string): Promise<number> {
  const [stats] = await bus.call(
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

/** Unique names on the bus owned by process `pid`. */
export async function uniqueNamesOfPid(bus: Bus, pid: number): Promise<string[]> {
  const [names] = await bus.call(
    'org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    'org.freedesktop.DBus',
    'ListNames',
  );
  const out: string[] = [];
  for (const n of (names as string[]).filter((x) => x.startsWith(':'))) {
    try {
      const [p] = await bus.call(
        'org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus',
        'GetConnectionUnixProcessID',
        's',
        [n],
      );
      if (p === pid) out.push(n);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
