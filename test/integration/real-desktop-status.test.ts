import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { onPath } from '../helpers/desktop/procs.js';
import { startProduct, textOf } from '../helpers/desktop/product.js';
import { createDesktop } from '../helpers/desktop/session.js';
import { startUPower, upowerFields } from '../helpers/desktop/upower.js';

/**
 * status (its power section) against the real upowerd on a private system-type bus: without any
 * power supply, and over a umockdev testbed with a battery and a mains adapter. Checked against
 * upower(1), the daemon's own client. The product is the built program at high (status is a read).
 */

const missing = [
  ...['upower', 'umockdev-run'].filter((c) => !onPath(c)),
  ...(existsSync('/usr/libexec/upowerd') ? [] : ['upowerd']),
];
const skip =
  missing.length > 0 ? `not installed: ${missing.join(', ')} (scripts/test.sh installs them as root)` : false;

interface Power {
  available: boolean;
  on_battery?: boolean | null;
  lid_closed?: boolean | null;
  battery?: {
    present?: boolean;
    percentage?: number;
    state?: string;
    time_to_empty_s?: number;
    time_to_full_s?: number;
  };
}

async function powerSection(desk: Awaited<ReturnType<typeof createDesktop>>): Promise<Power> {
  const product = await startProduct(desk, { level: 'high' });
  const r = await product.call('status', { sections: ['power'] });
  assert.equal(r.isError, undefined, textOf(r));
  await product.close();
  return r.structuredContent?.power as Power;
}

const yes = (v: string | undefined) => {
  assert.ok(v === 'yes' || v === 'no', `upower said ${v}`);
  return v === 'yes';
};

/** upower's "4.0 hours" / "36.0 minutes" / "12 seconds" as seconds. */
function seconds(v: string | undefined): number {
  const m = /^([\d.]+) (hours|minutes|seconds)$/.exec(v ?? '');
  assert.ok(m?.[1] && m[2], `upower said ${v}`);
  return Math.round(Number(m[1]) * { hours: 3600, minutes: 60, seconds: 1 }[m[2] as 'hours']);
}

describe('status power against upowerd', { skip }, () => {
  test('a machine without a battery: on mains, no battery present, as upower -d says', async () => {
    const desk = await createDesktop('upower');
    const up = await startUPower(desk);
    const daemon = upowerFields((await up.cli(['-d'])).split('Daemon:')[1] ?? '');
    const display = upowerFields(await up.cli(['-i', '/org/freedesktop/UPower/devices/DisplayDevice']));
    const power = await powerSection(desk);
    assert.equal(power.available, true, JSON.stringify(power));
    assert.equal(power.on_battery, yes(daemon.get('on-battery')));
    assert.equal(power.lid_closed, yes(daemon.get('lid-is-closed')));
    assert.equal(display.get('present'), undefined, 'upower lists no battery');
    assert.deepEqual(power.battery, { present: false });
  });

  test('a discharging battery: percentage, state and time to empty as upower -i says', async () => {
    const desk = await createDesktop('upower-battery');
    // 48 of 60 Wh at 12 W: 80 %, 4 hours left.
    const up = await startUPower(desk, {
      status: 'Discharging',
      energyFullWh: 60,
      energyNowWh: 48,
      powerNowW: 12,
      acOnline: false,
    });
    const daemon = upowerFields((await up.cli(['-d'])).split('Daemon:')[1] ?? '');
    const display = upowerFields(await up.cli(['-i', '/org/freedesktop/UPower/devices/DisplayDevice']));
    const power = await powerSection(desk);
    assert.equal(power.on_battery, yes(daemon.get('on-battery')));
    assert.equal(power.on_battery, true);
    assert.equal(power.battery?.percentage, Number(display.get('percentage')?.replace('%', '')));
    assert.equal(power.battery?.percentage, 80);
    assert.equal(power.battery?.state, display.get('state'));
    assert.equal(power.battery?.state, 'discharging');
    assert.equal(power.battery?.time_to_empty_s, seconds(display.get('time to empty')));
    assert.equal(power.battery?.time_to_empty_s, 4 * 3600);
  });

  test('a charging battery on mains: state charging and time to full', async () => {
    const desk = await createDesktop('upower-charging');
    // 30 of 60 Wh charging at 15 W: 50 %, 2 hours to full.
    const up = await startUPower(desk, {
      status: 'Charging',
      energyFullWh: 60,
      energyNowWh: 30,
      powerNowW: 15,
      acOnline: true,
    });
    const display = upowerFields(await up.cli(['-i', '/org/freedesktop/UPower/devices/DisplayDevice']));
    const power = await powerSection(desk);
    assert.equal(power.on_battery, false);
    assert.equal(power.battery?.state, display.get('state'));
    assert.equal(power.battery?.state, 'charging');
    assert.equal(power.battery?.percentage, 50);
    assert.equal(power.battery?.time_to_full_s, seconds(display.get('time to full')));
  });
});
