import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { socketPathFromChain } from '../../../src/shared/config-text.js';
import { configTextSchema, configToText, loadConfig, loadConfigLenient } from '../../../src/shared/config.js';
import { policyStateSchema, toWorkerSchema } from '../../../src/shared/ipc.js';

const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-config-wire-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { HOME: '/home/x', DBUS_MCP_CONFIG: '/dev/null' };

test('a configuration goes over IPC as text and comes back as the same values', () => {
  const config = loadConfig({
    env: { ...env, DBUS_MCP_SAFETY_LEVEL: 'low', DBUS_MCP_MAX_CLIENTS: '3' },
  }).config;
  const text = configToText(config);
  assert.equal(text.MAX_CLIENTS, '3');
  assert.equal(text.SOCKET_PATH, '');
  assert.deepEqual(configTextSchema.parse(text), config);
  const attach = toWorkerSchema.parse({ t: 'attach', clientId: 'c1', config: text });
  assert.equal(attach.t === 'attach' && attach.config.MAX_CLIENTS, 3);
});

test('the IPC configuration is parsed, not cast: a bad value, a missing or an unknown key is refused', () => {
  const text = configToText(loadConfig({ env }).config);
  assert.equal(configTextSchema.safeParse({ ...text, MAX_CLIENTS: 'many' }).success, false);
  const { SAFETY_LEVEL: _dropped, ...missing } = text;
  assert.equal(configTextSchema.safeParse(missing).success, false);
  assert.equal(configTextSchema.safeParse({ ...text, EXTRA: '1' }).success, false);
});

test('policy state has a schema: buckets with finite numbers only', () => {
  const ok = { version: 1, buckets: { notify: { tokens: 2, updatedAt: 1000 } } };
  assert.deepEqual(policyStateSchema.parse(ok), ok);
  assert.equal(policyStateSchema.safeParse({ version: 2, buckets: {} }).success, false);
  assert.equal(
    policyStateSchema.safeParse({ version: 1, buckets: { notify: { tokens: 'x', updatedAt: 1 } } }).success,
    false,
  );
});

test('lenient loading keeps what it can and returns the first fault', () => {
  const file = join(dir, 'broken');
  writeFileSync(file, 'SOCKET_PATH="/run/s.sock"\nSAFETY_LEVEL="extreme"\nthis is not a line\n');
  assert.throws(() => loadConfig({ env, configFile: file }), /:3: expected KEY="value"/);
  const { loaded, error } = loadConfigLenient({ env, configFile: file });
  assert.equal(error?.code, 'CONFIG_INVALID');
  assert.match(String(error?.message), /broken:3: expected KEY="value"/);
  assert.equal(loaded.config.SOCKET_PATH, '/run/s.sock');
  assert.equal(loaded.config.SAFETY_LEVEL, 'high', 'a bad value keeps its default');
});

test('the bridge finds SOCKET_PATH through the chain and checks that value only', () => {
  const file = join(dir, 'bridge');
  writeFileSync(file, 'SAFETY_LEVEL="extreme"\nSOCKET_PATH="/run/b.sock"\n');
  assert.equal(socketPathFromChain({ env, configFile: file }), '/run/b.sock');
  assert.equal(
    socketPathFromChain({
      env,
      configFile: file,
      flags: { SOCKET_PATH: { value: '/f.sock', flag: '--socket' } },
    }),
    '/f.sock',
  );
  assert.equal(
    socketPathFromChain({ env: { ...env, XDG_RUNTIME_DIR: '/run/user/7' } }),
    '/run/user/7/dbus-mcp.sock',
  );
  writeFileSync(file, 'SOCKET_PATH="relative.sock"\n');
  assert.throws(
    () => socketPathFromChain({ env, configFile: file }),
    /bridge:1: SOCKET_PATH="relative.sock" is not allowed; expected an absolute path/,
  );
});
