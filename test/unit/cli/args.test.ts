import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../../src/cli/args.js';
import { COMMANDS, commandFor } from '../../../src/cli/commands.js';
import type { AppError } from '../../../src/shared/errors.js';

test('the command, its own arguments and the global flags anywhere on the line', () => {
  const p = parseArgs(['--log-level', 'debug', 'status', '--json', '--socket=/run/x.sock']);
  assert.equal(p.command, 'status');
  assert.deepEqual(p.args, ['--json']);
  assert.deepEqual(p.flags, {
    LOG_LEVEL: { value: 'debug', flag: '--log-level' },
    SOCKET_PATH: { value: '/run/x.sock', flag: '--socket' },
  });
  assert.equal(p.configFile, undefined);
});

test('--config names the file; --help, -h, --version, -V are switches', () => {
  const p = parseArgs(['serve', '--config', '/etc/x', '-h']);
  assert.equal(p.configFile, '/etc/x');
  assert.equal(p.help, true);
  assert.equal(parseArgs(['-V']).version, true);
  assert.equal(parseArgs(['--version']).command, undefined);
});

test('arguments after the command keep their order, the first word is the command', () => {
  const p = parseArgs(['policy', 'explain', '--bus', 'system', '--service', 'org.x']);
  assert.equal(p.command, 'policy');
  assert.deepEqual(p.args, ['explain', '--bus', 'system', '--service', 'org.x']);
});

test('a value flag without its value is a usage error (exit 64)', () => {
  assert.throws(
    () => parseArgs(['serve', '--socket']),
    (e: AppError) => e.code === 'USAGE' && /--socket needs a value/.test(e.message),
  );
});

test('the command table: every command is imported lazily, connect needs no configuration', () => {
  assert.equal(commandFor('connect')?.context, 'bare');
  assert.equal(commandFor('serve')?.context, 'tolerant');
  assert.equal(commandFor('status')?.context, 'tolerant');
  assert.equal(commandFor('toString'), undefined, 'no prototype keys');
  assert.equal(commandFor('nope'), undefined);
  for (const [name, spec] of Object.entries(COMMANDS)) {
    assert.equal(typeof spec.load, 'function', name);
    assert.match(spec.usage, new RegExp(`dbus-mcp ${name}`));
  }
});
