import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../../../src/shared/config.js';
import { resolveBusAddress } from '../../../../src/worker/dbus/bus-manager.js';

const file = join(tmpdir(), `dbus-mcp-empty-config-${process.pid}`);
writeFileSync(file, '');
after(() => rmSync(file, { force: true }));
const config = loadConfig({ env: {}, configFile: file }).config;

describe('resolveBusAddress', () => {
  test('config wins over the environment, which wins over the standard path', () => {
    const env = {
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/env/session',
      DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/env/system',
      XDG_RUNTIME_DIR: '/run/user/1234',
    };
    const configured = {
      ...config,
      SESSION_BUS_ADDRESS: 'unix:path=/cfg/s',
      SYSTEM_BUS_ADDRESS: 'unix:path=/cfg/y',
    };
    assert.equal(resolveBusAddress('session', configured, env), 'unix:path=/cfg/s');
    assert.equal(resolveBusAddress('system', configured, env), 'unix:path=/cfg/y');
    assert.equal(resolveBusAddress('session', config, env), 'unix:path=/env/session');
    assert.equal(resolveBusAddress('system', config, env), 'unix:path=/env/system');
    assert.equal(
      resolveBusAddress('session', config, { XDG_RUNTIME_DIR: '/run/user/1234' }),
      'unix:path=/run/user/1234/bus',
    );
    assert.equal(resolveBusAddress('system', config, {}), 'unix:path=/run/dbus/system_bus_socket');
  });

  test('without XDG_RUNTIME_DIR the session bus is looked for under /run/user/<uid>', () => {
    assert.equal(resolveBusAddress('session', config, {}), `unix:path=/run/user/${process.getuid?.()}/bus`);
  });
});
