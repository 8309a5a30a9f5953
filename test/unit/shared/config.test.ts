import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig, parseConfigText, resolveSocketPath } from '../../../src/shared/config.js';
import { AppError } from '../../../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('defaults apply when nothing is set', () => {
  const { config, origins } = loadConfig({ env: { HOME: dir }, configFile: file('empty', '') });
  assert.equal(config.SAFETY_LEVEL, 'high');
  assert.equal(config.CALL_TIMEOUT_MS, 10_000);
  assert.equal(config.MAX_MESSAGE_BYTES, 4 * 1024 * 1024);
  assert.equal(config.SOCKET_PATH, undefined);
  assert.deepEqual(origins.SAFETY_LEVEL, { source: 'default' });
});

test("a command's own defaults (stdio logs at warn) yield to every file, variable and flag", () => {
  const defaults = { LOG_LEVEL: 'warn' };
  const empty = file('empty-defaults', '');
  const plain = loadConfig({ env: { HOME: dir }, configFile: empty, defaults });
  assert.equal(plain.config.LOG_LEVEL, 'warn');
  assert.deepEqual(plain.origins.LOG_LEVEL, { source: 'default' });
  const fromFile = loadConfig({
    env: { HOME: dir },
    configFile: file('info', 'LOG_LEVEL="info"\n'),
    defaults,
  });
  assert.equal(fromFile.config.LOG_LEVEL, 'info');
  const fromEnv = loadConfig({
    env: { HOME: dir, DBUS_MCP_LOG_LEVEL: 'debug' },
    configFile: empty,
    defaults,
  });
  assert.equal(fromEnv.config.LOG_LEVEL, 'debug');
  const fromFlag = loadConfig({
    env: { HOME: dir },
    configFile: empty,
    defaults,
    flags: { LOG_LEVEL: { value: 'info', flag: '--log-level' } },
  });
  assert.equal(fromFlag.config.LOG_LEVEL, 'info');
  assert.equal(loadConfig({ env: { HOME: dir }, configFile: empty }).config.LOG_LEVEL, 'info');
});

test('system file, user file, environment and flags: later wins, origins recorded', () => {
  const home = join(dir, 'home');
  const xdg = join(home, '.config');
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: xdg,
    DBUS_MCP_MAX_CLIENTS: '7',
    DBUS_MCP_LOG_LEVEL: 'debug',
  };
  const user = join(dir, 'user.conf');
  writeFileSync(user, 'SAFETY_LEVEL="medium"\nMAX_CLIENTS=3\nCALL_TIMEOUT_MS=2500\n');
  const loaded = loadConfig({
    env,
    configFile: user,
    flags: { LOG_LEVEL: { value: 'warn', flag: '--log-level' } },
  });
  assert.equal(loaded.config.SAFETY_LEVEL, 'medium');
  assert.deepEqual(loaded.origins.SAFETY_LEVEL, { source: 'file', file: user, line: 1 });
  assert.equal(loaded.config.MAX_CLIENTS, 7);
  assert.deepEqual(loaded.origins.MAX_CLIENTS, { source: 'env', variable: 'DBUS_MCP_MAX_CLIENTS' });
  assert.equal(loaded.config.CALL_TIMEOUT_MS, 2500);
  assert.equal(loaded.config.LOG_LEVEL, 'warn');
  assert.deepEqual(loaded.origins.LOG_LEVEL, { source: 'flag', flag: '--log-level' });
});

test('the default files are the system file then the user file', () => {
  const home = join(dir, 'home2');
  const env = { HOME: home, XDG_CONFIG_HOME: join(dir, 'xdg2') };
  const userDir = join(dir, 'xdg2', 'dbus-mcp');
  rmSync(userDir, { recursive: true, force: true });
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'config'), 'SAFETY_LEVEL=low\n');
  const loaded = loadConfig({ env });
  assert.equal(loaded.config.SAFETY_LEVEL, 'low');
  assert.ok(loaded.files.includes(join(userDir, 'config')));
});

test('shell syntax: quotes, comments, export, variable expansion', () => {
  const entries = parseConfigText(
    [
      '# a comment',
      '',
      'export SAFETY_LEVEL="medium"   # trailing comment',
      "SOCKET_PATH='$NOT_EXPANDED'",
      'SESSION_BUS_ADDRESS="unix:path=${XDG_RUNTIME_DIR}/bus"',
      'LOG_LEVEL=debug # comment',
      'SCREENSHOT_DIR="a \\"quoted\\" dir"',
    ].join('\n'),
    'f',
    { XDG_RUNTIME_DIR: '/run/user/1000' },
  );
  assert.deepEqual(
    entries.map((e) => [e.key, e.value, e.line]),
    [
      ['SAFETY_LEVEL', 'medium', 3],
      ['SOCKET_PATH', '$NOT_EXPANDED', 4],
      ['SESSION_BUS_ADDRESS', 'unix:path=/run/user/1000/bus', 5],
      ['LOG_LEVEL', 'debug', 6],
      ['SCREENSHOT_DIR', 'a "quoted" dir', 7],
    ],
  );
});

test('a bad value names file:line, the key and what is allowed', () => {
  const path = file('bad', '# header\nSAFETY_LEVEL="paranoid"\n');
  assert.throws(
    () => loadConfig({ env: {}, configFile: path }),
    (e: unknown) =>
      e instanceof AppError &&
      e.code === 'CONFIG_INVALID' &&
      e.message.includes(`${path}:2`) &&
      e.message.includes('SAFETY_LEVEL') &&
      e.message.includes('high, medium or low'),
  );
});

test('out-of-range numbers and non-numbers are refused', () => {
  assert.throws(
    () => loadConfig({ env: { DBUS_MCP_MAX_CLIENTS: '0' }, configFile: file('e1', '') }),
    /MAX_CLIENTS/,
  );
  assert.throws(
    () => loadConfig({ env: { DBUS_MCP_CALL_TIMEOUT_MS: '10s' }, configFile: file('e2', '') }),
    /whole number|CALL_TIMEOUT_MS/,
  );
  assert.throws(
    () => loadConfig({ env: { DBUS_MCP_SOCKET_PATH: 'relative.sock' }, configFile: file('e3', '') }),
    /SOCKET_PATH/,
  );
});

test('unparseable lines and unterminated quotes name the line', () => {
  assert.throws(() => loadConfig({ env: {}, configFile: file('u1', 'this is not config\n') }), /u1:1/);
  assert.throws(
    () => loadConfig({ env: {}, configFile: file('u2', 'X=1\nSAFETY_LEVEL="high\n') }),
    /u2:2.*unterminated/,
  );
});

test('unknown keys warn instead of failing', () => {
  const loaded = loadConfig({ env: { DBUS_MCP_NOPE: '1' }, configFile: file('w', 'FOO=bar\n') });
  assert.equal(loaded.warnings.length, 2);
  assert.match(loaded.warnings[0] as string, /w:1: unknown key FOO/);
  assert.match(loaded.warnings[1] as string, /DBUS_MCP_NOPE/);
});

test('an explicit config file that cannot be read is an error', () => {
  assert.throws(
    () => loadConfig({ env: {}, configFile: join(dir, 'missing') }),
    (e: unknown) => e instanceof AppError && e.code === 'CONFIG_UNREADABLE',
  );
});

test('socket path: SOCKET_PATH, else XDG_RUNTIME_DIR, else a clear error', () => {
  const base = loadConfig({ env: {}, configFile: file('s', '') }).config;
  assert.equal(resolveSocketPath(base, { XDG_RUNTIME_DIR: '/run/user/5' }), '/run/user/5/dbus-mcp.sock');
  assert.equal(resolveSocketPath({ ...base, SOCKET_PATH: '/tmp/x.sock' }, {}), '/tmp/x.sock');
  assert.throws(
    () => resolveSocketPath(base, {}),
    (e: unknown) => e instanceof AppError && e.code === 'SOCKET_PATH_MISSING',
  );
});
