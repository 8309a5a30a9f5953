import { before, describe } from 'node:test';
import type { Mock, Program, World } from '../helpers/redteam.js';
import { attackTests, startAdHocMock, startProgram, startWorld } from '../helpers/redteam.js';

/**
 * Red team, class "accounts and disks", through the real program (low, `allow * * * * *`),
 * against ad-hoc AccountsService, systemd-homed, UDisks2 and ModemManager services
 * (docs/SECURITY-REVIEW.md "accounts and disks").
 */

const USER = {
  bus: 'system',
  service: 'org.freedesktop.Accounts',
  path: '/org/freedesktop/Accounts/User1000',
  interface: 'org.freedesktop.Accounts.User',
};
const UDISKS = 'org.freedesktop.UDisks2';
const SDA = '/org/freedesktop/UDisks2/block_devices/sda';

let world: World;
let program: Program;
const mocks: Record<string, Mock> = {};
const mock = (name: string) => () => mocks[name] as Mock;

before(async () => {
  world = await startWorld();
  const Y = world.system;
  mocks.accounts = await startAdHocMock(
    Y,
    'org.freedesktop.Accounts',
    '/org/freedesktop/Accounts',
    'org.freedesktop.Accounts',
    [
      { path: USER.path, interface: 'org.freedesktop.Accounts.User', name: 'SetAutomaticLogin', inSig: 'b' },
      { path: USER.path, interface: 'org.freedesktop.Accounts.User', name: 'SetLocked', inSig: 'b' },
      { path: USER.path, interface: 'org.freedesktop.Accounts.User', name: 'SetShell', inSig: 's' },
      { path: USER.path, interface: 'org.freedesktop.Accounts.User', name: 'SetPassword', inSig: 'ss' },
    ],
  );
  mocks.homed = await startAdHocMock(
    Y,
    'org.freedesktop.home1',
    '/org/freedesktop/home1',
    'org.freedesktop.home1.Manager',
    [
      { interface: 'org.freedesktop.home1.Manager', name: 'RemoveHome', inSig: 's' },
      { interface: 'org.freedesktop.home1.Manager', name: 'ChangePasswordHome', inSig: 'sss' },
    ],
  );
  mocks.udisks = await startAdHocMock(
    Y,
    UDISKS,
    '/org/freedesktop/UDisks2/Manager',
    'org.freedesktop.UDisks2.Manager',
    [
      {
        interface: 'org.freedesktop.UDisks2.Manager',
        name: 'MDRaidCreate',
        inSig: 'aossta{sv}',
        outSig: 'o',
        code: 'ret = "/org/freedesktop/UDisks2/mdraid/1"',
      },
      {
        path: SDA,
        interface: 'org.freedesktop.UDisks2.PartitionTable',
        name: 'CreatePartition',
        inSig: 'ttssa{sv}',
        outSig: 'o',
        code: 'ret = "/org/freedesktop/UDisks2/block_devices/sda9"',
      },
      { path: SDA, interface: 'org.freedesktop.UDisks2.Block', name: 'Format', inSig: 'sa{sv}' },
    ],
  );
  mocks.modem = await startAdHocMock(
    Y,
    'org.freedesktop.ModemManager1',
    '/org/freedesktop/ModemManager1/Modem/0',
    'org.freedesktop.ModemManager1.Modem',
    [
      {
        interface: 'org.freedesktop.ModemManager1.Modem',
        name: 'Command',
        inSig: 'su',
        outSig: 's',
        code: 'ret = "OK"',
      },
    ],
  );
  program = await startProgram(world, { level: 'low' });
});

describe('redteam: accounts and disks through the program (low, allow * * * * *)', () => {
  attackTests(
    () => program,
    [
      {
        name: 'AccountsService SetAutomaticLogin: log in at boot without a password',
        mock: mock('accounts'),
        call: { ...USER, method: 'SetAutomaticLogin', args: [true] },
      },
      {
        name: 'AccountsService SetLocked: lock the account, interface found by introspection',
        mock: mock('accounts'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.Accounts',
          path: USER.path,
          method: 'SetLocked',
          args: [true],
        },
      },
      {
        name: "AccountsService SetShell: a program of the caller's choice at every login",
        mock: mock('accounts'),
        call: { ...USER, method: 'SetShell', args: ['/home/user/.local/bin/evil'] },
      },
      {
        name: 'systemd-homed RemoveHome deletes an account and its home',
        mock: mock('homed'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.home1',
          path: '/org/freedesktop/home1',
          interface: 'org.freedesktop.home1.Manager',
          method: 'RemoveHome',
          args: ['user'],
        },
      },
      {
        name: 'systemd-homed ChangePasswordHome',
        mock: mock('homed'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.home1',
          path: '/org/freedesktop/home1',
          interface: 'org.freedesktop.home1.Manager',
          method: 'ChangePasswordHome',
          args: ['user', '{"password":["new"]}', '{"password":["old"]}'],
        },
      },
      {
        name: 'UDisks2 MDRaidCreate writes RAID superblocks over two disks',
        mock: mock('udisks'),
        at: '/org/freedesktop/UDisks2/Manager',
        call: {
          bus: 'system',
          service: UDISKS,
          path: '/org/freedesktop/UDisks2/Manager',
          interface: 'org.freedesktop.UDisks2.Manager',
          method: 'MDRaidCreate',
          args: [[SDA, '/org/freedesktop/UDisks2/block_devices/sdb'], 'raid0', 'evil', 0, {}],
        },
      },
      {
        name: 'UDisks2 CreatePartition rewrites the partition table',
        mock: mock('udisks'),
        call: {
          bus: 'system',
          service: UDISKS,
          path: SDA,
          interface: 'org.freedesktop.UDisks2.PartitionTable',
          method: 'CreatePartition',
          args: [0, 0, '', '', {}],
        },
      },
      {
        name: 'ModemManager Command sends raw AT commands',
        mock: mock('modem'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.ModemManager1',
          path: '/org/freedesktop/ModemManager1/Modem/0',
          interface: 'org.freedesktop.ModemManager1.Modem',
          method: 'Command',
          args: ['AT+CFUN=0', 5],
        },
      },
      {
        name: 'AccountsService SetPassword (refused today: regression guard)',
        mock: mock('accounts'),
        call: { ...USER, method: 'SetPassword', args: ['$6$x', ''] },
      },
      {
        name: 'UDisks2 Block.Format (refused today: regression guard)',
        mock: mock('udisks'),
        call: {
          bus: 'system',
          service: UDISKS,
          path: SDA,
          interface: 'org.freedesktop.UDisks2.Block',
          method: 'Format',
          args: ['ext4', {}],
        },
      },
    ],
  );
});
