import { readFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import type { JsonValue } from '../dbus/values/index.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import { readProperties } from '../queries/properties.js';
import { num, str, taskRequest } from './common.js';

/** The readers behind the status tool, one per system service. Each goes through the gate as a read. */

type Data = Record<string, JsonValue>;

/**
 * The system-bus service each status section reads, and whether the section starts it when it is
 * only installed (D-Bus activatable). upowerd, hostnamed and timedated are started on demand (the
 * first two are often not running on a fresh boot; the last two exit when idle); NetworkManager
 * and logind are not started: they run from boot or not at all. `discover` lists each section's
 * service by the same rule.
 */
export const STATUS_SERVICES = {
  power: { service: 'org.freedesktop.UPower', startsOnDemand: true },
  network: { service: 'org.freedesktop.NetworkManager', startsOnDemand: false },
  host: { service: 'org.freedesktop.hostname1', startsOnDemand: true },
  time: { service: 'org.freedesktop.timedate1', startsOnDemand: true },
  sessions: { service: 'org.freedesktop.login1', startsOnDemand: false },
} as const;
export type StatusSection = keyof typeof STATUS_SERVICES;

const autoStart = (section: StatusSection) => ({ autoStart: STATUS_SERVICES[section].startsOnDemand });

const UPOWER_STATES = [
  'unknown',
  'charging',
  'discharging',
  'empty',
  'fully-charged',
  'pending-charge',
  'pending-discharge',
];
const NM_STATES: Record<number, string> = {
  0: 'unknown',
  10: 'asleep',
  20: 'disconnected',
  30: 'disconnecting',
  40: 'connecting',
  50: 'connected-local',
  60: 'connected-site',
  70: 'connected-global',
};
const NM_CONNECTIVITY = ['unknown', 'none', 'portal', 'limited', 'full'];
const NM_ACTIVE_STATES = ['unknown', 'activating', 'activated', 'deactivating', 'deactivated'];
const MAX_ITEMS = 32;

const name = (table: readonly string[] | Record<number, string>, v: JsonValue | undefined) => {
  const n = num(v);
  return n === undefined ? 'unknown' : ((table as Record<number, string>)[n] ?? String(n));
};

export async function readPower(gate: Gate, octx: OperationContext): Promise<Data> {
  const destination = STATUS_SERVICES.power.service;
  const object = { bus: 'system' as const, destination };
  const main = await readProperties(
    gate,
    { ...object, path: '/org/freedesktop/UPower', interface: destination },
    octx,
    autoStart('power'),
  );
  const dev = await readProperties(
    gate,
    { ...object, path: '/org/freedesktop/UPower/devices/DisplayDevice', interface: `${destination}.Device` },
    octx,
  ).catch(() => ({}) as Data);
  const battery: Data =
    dev.IsPresent === true
      ? {
          percentage: num(dev.Percentage) ?? null,
          state: name(UPOWER_STATES, dev.State),
          time_to_empty_s: num(dev.TimeToEmpty) ?? null,
          time_to_full_s: num(dev.TimeToFull) ?? null,
        }
      : { present: false };
  return { on_battery: main.OnBattery ?? null, lid_closed: main.LidIsClosed ?? null, battery };
}

export async function readNetwork(gate: Gate, octx: OperationContext): Promise<Data> {
  const destination = STATUS_SERVICES.network.service;
  const object = { bus: 'system' as const, destination };
  const nm = await readProperties(
    gate,
    { ...object, path: '/org/freedesktop/NetworkManager', interface: destination },
    octx,
    autoStart('network'),
  );
  const paths = (Array.isArray(nm.ActiveConnections) ? nm.ActiveConnections : []).slice(0, MAX_ITEMS);
  const active = await Promise.all(
    paths.map(async (p) => {
      const c = await readProperties(
        gate,
        { ...object, path: String(p), interface: `${destination}.Connection.Active` },
        octx,
      );
      return {
        id: c.Id ?? null,
        type: c.Type ?? null,
        state: name(NM_ACTIVE_STATES, c.State),
        default: c.Default ?? false,
      };
    }),
  );
  return {
    state: name(NM_STATES, nm.State),
    connectivity: name(NM_CONNECTIVITY, nm.Connectivity),
    networking_enabled: nm.NetworkingEnabled ?? null,
    wireless_enabled: nm.WirelessEnabled ?? null,
    active_connections: active,
  };
}

async function osRelease(): Promise<string | null> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** hostnamed starts on demand (that is how it normally runs), so this read may activate it. */
export async function readHost(gate: Gate, octx: OperationContext): Promise<Data> {
  const destination = STATUS_SERVICES.host.service;
  const target = {
    bus: 'system' as const,
    destination,
    path: '/org/freedesktop/hostname1',
    interface: destination,
  };
  const h = await readProperties(gate, target, octx, autoStart('host'));
  return {
    hostname: h.Hostname ?? null,
    pretty_hostname: h.PrettyHostname || null,
    os: h.OperatingSystemPrettyName ?? null,
    kernel: [str(h.KernelName), str(h.KernelRelease)].filter(Boolean).join(' ') || null,
    chassis: h.Chassis || null,
  };
}

/** What the host section says without hostnamed: from this process's view of the machine. */
export async function localHost(): Promise<Data> {
  return {
    hostname: hostname(),
    os: await osRelease(),
    kernel: release(),
    source: 'local (hostnamed absent)',
  };
}

/** timedated starts on demand too. */
export async function readTime(gate: Gate, octx: OperationContext): Promise<Data> {
  const destination = STATUS_SERVICES.time.service;
  const target = {
    bus: 'system' as const,
    destination,
    path: '/org/freedesktop/timedate1',
    interface: destination,
  };
  const t = await readProperties(gate, target, octx, autoStart('time'));
  return {
    timezone: t.Timezone ?? null,
    ntp: t.NTP ?? null,
    ntp_synchronized: t.NTPSynchronized ?? null,
    local_rtc: t.LocalRTC ?? null,
  };
}

export async function readSessions(gate: Gate, octx: OperationContext): Promise<Data> {
  const manager = {
    destination: STATUS_SERVICES.sessions.service,
    path: '/org/freedesktop/login1',
    interface: 'org.freedesktop.login1.Manager',
  };
  const req = taskRequest('system', { ...manager, member: 'ListSessions' }, 'read');
  const rows = await gate.run(req, octx, async (op) =>
    (((await op.call()).body[0] ?? []) as [string, number, string, string, string][]).slice(0, MAX_ITEMS),
  );
  const sessions = await Promise.all(
    rows.map(async ([id, uid, user, seat, path]) => {
      const s = await readProperties(
        gate,
        {
          bus: 'system',
          destination: manager.destination,
          path,
          interface: 'org.freedesktop.login1.Session',
        },
        octx,
      ).catch(() => ({}) as Data);
      return {
        id,
        uid: Number(uid),
        user,
        seat: seat || null,
        type: s.Type ?? null,
        state: s.State ?? null,
        active: s.Active ?? null,
        remote: s.Remote ?? null,
      };
    }),
  );
  return { count: sessions.length, sessions };
}
