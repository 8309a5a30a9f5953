import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { MockService, TestBus } from '../helpers/buses.js';
import { addMockProperty, startMock, startSessionBus } from '../helpers/buses.js';
import { trackDir, trackPid } from '../helpers/cleanup.js';
import { programPath } from '../helpers/supervisor.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-direct-'));
trackDir(dir);
const emptyConfig = join(dir, 'empty.conf');
writeFileSync(emptyConfig, '');

let bus: TestBus;
let mock: MockService;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    DBUS_MCP_CONFIG: emptyConfig,
    DBUS_SESSION_BUS_ADDRESS: bus.address,
    DBUS_SYSTEM_BUS_ADDRESS: bus.address,
    ...extra,
  };
}

function run(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [programPath(), ...args], {
    env: env(extra),
    encoding: 'utf8',
    timeout: 30_000,
  });
}

before(async () => {
  bus = await startSessionBus();
  mock = await startMock(bus, ['com.example.Direct', '/com/example/Direct', 'com.example.Direct']);
  await addMockProperty(bus, mock, {
    interface: 'com.example.Direct',
    name: 'Answer',
    signature: 'i',
    value: 42,
  });
});

after(async () => {
  await mock?.stop();
  await bus?.stop();
});

describe('dbus-mcp stdio (direct mode)', () => {
  for (const era of ['2025', '2026'] as const) {
    test(`an MCP client that spawns the program works (${era} era), logs stay on stderr`, async () => {
      const stderr: string[] = [];
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [programPath(), 'stdio'],
        env: env({ DBUS_MCP_LOG_LEVEL: 'info' }),
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      const client = new Client(
        { name: 'direct-test', version: '1.0.0' },
        era === '2026' ? { versionNegotiation: { mode: 'auto' } } : {},
      );
      await client.connect(transport);
      try {
        const { tools } = await client.listTools();
        assert.ok(tools.length >= 9);
        const r = await client.callTool({
          name: 'get_property',
          arguments: {
            service: 'com.example.Direct',
            path: '/com/example/Direct',
            interface: 'com.example.Direct',
            property: 'Answer',
          },
        });
        assert.deepEqual((r.structuredContent as { value: number }).value, 42);
      } finally {
        await client.close();
      }
      const lines = stderr.join('').split('\n').filter(Boolean);
      assert.ok(lines.length > 0, 'the server logged to stderr');
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `stderr line is JSON: ${line}`);
    });
  }

  test('the process exits when the client closes stdin', async () => {
    const child = spawn(process.execPath, [programPath(), 'stdio'], {
      env: env(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackPid(child.pid as number);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.end();
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    assert.equal(code, 0);
  });

  test('the MCP Inspector CLI lists the tools', () => {
    const cli = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector-cli', 'build', 'index.js');
    const r = spawnSync(
      process.execPath,
      [cli, process.execPath, programPath(), 'stdio', '--method', 'tools/list'],
      {
        env: env(),
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const names = (JSON.parse(r.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    assert.ok(names.includes('call_method') && names.includes('show_help'), names.join(','));
  });
});

describe('command line', () => {
  test('--version and --help', () => {
    const version = run(['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
    const help = run(['--help']);
    assert.equal(help.status, 0);
    for (const cmd of ['serve', 'stdio', 'connect', 'status', 'check-config', 'policy'])
      assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
    const serveHelp = run(['serve', '--help']);
    assert.equal(serveHelp.status, 0);
    assert.match(serveHelp.stdout, /SIGHUP/);
    const unknown = run(['frobnicate']);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });

  test('check-config shows values and their origins', () => {
    const file = join(dir, 'check.conf');
    writeFileSync(file, '# test\nSAFETY_LEVEL="medium"\nNOT_A_KEY=1\n');
    const r = run(['check-config', '--config', file, '--log-level', 'warn'], { DBUS_MCP_MAX_CLIENTS: '3' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`SAFETY_LEVEL="medium"  # ${file}:2`));
    assert.match(r.stdout, /MAX_CLIENTS="3"  # environment DBUS_MCP_MAX_CLIENTS/);
    assert.match(r.stdout, /LOG_LEVEL="warn"  # flag --log-level/);
    assert.match(r.stdout, /unknown key NOT_A_KEY/);
  });

  test('a bad configuration value exits 78 naming file:line, key and what is allowed', () => {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, 'SAFETY_LEVEL="paranoid"\n');
    for (const cmd of ['stdio', 'serve', 'check-config']) {
      const r = run([cmd, '--config', file]);
      assert.equal(r.status, 78, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${file}:1.*SAFETY_LEVEL.*high, medium or low`));
    }
    const flag = run(['stdio', '--safety-level', 'none']);
    assert.equal(flag.status, 78);
    assert.match(flag.stderr, /flag --safety-level/);
  });
});
