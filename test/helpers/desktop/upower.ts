import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Proc } from './procs.js';
import { mustRun, startProcess } from './procs.js';
import type { Desktop, DesktopBus } from './session.js';
import { waitForName } from './session.js';

/**
 * upowerd 0.99 on the session's private system-type bus, as the test process (a system daemon),
 * optionally over umockdev devices (a battery and a mains adapter in /sys, as umockdev-run fakes
 * them), and upower(1) as its own client.
 */

export const UPOWER = 'org.freedesktop.UPower';

export interface Battery {
  /** sysfs `status`: Charging, Discharging, Full. */
  status: 'Charging' | 'Discharging' | 'Full';
  energyFullWh: number;
  energyNowWh: number;
  powerNowW: number;
  acOnline: boolean;
}

function umockdevFile(b: Battery): string {
  const uwh = (wh: number) => String(Math.round(wh * 1e6));
  const supply = (name: string, attrs: Record<string, string>) =>
    [
      `P: /devices/platform/test/power_supply/${name}`,
      `E: DEVPATH=/devices/platform/test/power_supply/${name}`,
      'E: SUBSYSTEM=power_supply',
      `E: POWER_SUPPLY_NAME=${name}`,
      ...Object.entries(attrs).map(([k, v]) => `A: ${k}=${v}`),
      '',
    ].join('\n');
  return [
    supply('BAT0', {
      type: 'Battery',
      present: '1',
      status: b.status,
      energy_full: uwh(b.energyFullWh),
      energy_full_design: uwh(b.energyFullWh),
      energy_now: uwh(b.energyNowWh),
      power_now: uwh(b.powerNowW),
      voltage_now: '12000000',
      technology: 'Li-ion',
      manufacturer: 'Test Cells',
      model_name: 'TB-1',
    }),
    supply('AC', { type: 'Mains', online: b.acOnline ? '1' : '0' }),
  ].join('\n');
}

export interface UPowerDaemon {
  proc: Proc;
  system: DesktopBus;
  /** `upower ARGS` against the private system bus. */
  cli(args: string[]): Promise<string>;
}

/** upowerd on the session's system bus; with `battery`, over a umockdev testbed holding it. */
export async function startUPower(desk: Desktop, battery?: Battery): Promise<UPowerDaemon> {
  const system = await desk.startSystemBus();
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: system.address };
  let proc: Proc;
  if (battery) {
    const devices = join(desk.dir, 'power-supply.umockdev');
    writeFileSync(devices, umockdevFile(battery));
    proc = startProcess('upowerd', 'umockdev-run', ['-d', devices, '--', '/usr/libexec/upowerd'], { env });
  } else {
    proc = startProcess('upowerd', '/usr/libexec/upowerd', [], { env });
  }
  await waitForName(system, UPOWER, proc);
  return { proc, system, cli: (args) => mustRun('upower', args, { env }) };
}

/** `key: value` lines of one `upower -i` / `-d` section as a map (values trimmed). */
export function upowerFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s+([a-z][a-z -]*[a-z]):\s+(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined && !out.has(m[1])) out.set(m[1], m[2].trim());
  }
  return out;
}
