import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import { addMockProperty, startMock, startSessionBus } from '../helpers/buses.js';
import { onCleanup, trackPid, untrackPid } from '../helpers/cleanup.js';
import { toolError } from '../helpers/mcp.js';
import type { SshHost } from '../helpers/ssh-host.js';
import { sshUnavailable, startSshHost } from '../helpers/ssh-host.js';
import type { Served } from '../helpers/supervisor.js';
import { programPath, startServe, tempDir, waitFor } from '../helpers/supervisor.js';

/**
 * `ssh HOST dbus-mcp connect` and `ssh HOST dbus-mcp stdio` as the command of an MCP server entry,
 * against a real sshd on a test host in a network namespace (test/helpers/ssh-host.ts), driven by
 * the real SDK clients: MCP from the first byte on stdout, a clear error and a non-zero exit when
 * the remote service is not running, and no hang when the connection drops.
 */

const unavailable = sshUnavailable();
const TARGET = {
  service: 'com.example.Remote',
  path: '/com/example/Remote',
  interface: 'com.example.Remote',
};
/** What the docs tell users to pass (ServerAlive* shortened so a test sees a dead link soon). */
const SSH_OPTIONS = [
  '-T',
  '-o',
  'BatchMode=yes',
  '-o',
  'ServerAliveInterval=1',
  '-o',
  'ServerAliveCountMax=3',
];

let host: SshHost;
let bus: TestBus;
let mock: MockService;

describe('dbus-mcp over SSH', { skip: unavailable }, () => {
  before(async () => {
    const dir = tempDir('dbus-mcp-ssh-');
    host = await startSshHost(dir, programPath());
    bus = await startSessionBus();
    // The remote user's session bus where a login puts it: $XDG_RUNTIME_DIR/bus.
    symlinkSync(bus.socketPath, join(host.runtimeDir, 'bus'));
    mock = await startMock(bus, [TARGET.service, TARGET.path, TARGET.interface]);
    await addMockProperty(bus, mock, {
      interface: TARGET.interface,
      name: 'Answer',
      signature: 'i',
      value: 42,
    });
  });

  const sshArgs = (...remote: string[]) => [
    '-F',
    host.sshConfig,
    ...SSH_OPTIONS,
    host.alias,
    'dbus-mcp',
    ...remote,
  ];

  /** `ssh … dbus-mcp ARGS` run to its end, `input` written and stdin kept open as a host does. */
  function runSsh(remote: string[], input = '', ms = 30_000) {
    const child = spawn('ssh', sshArgs(...remote), { stdio: ['pipe', 'pipe', 'pipe'] });
    const pid = child.pid as number;
    trackPid(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    if (input) child.stdin.write(input);
    return {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      exited: new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`ssh ${remote.join(' ')} still runs after ${ms} ms`)),
          ms,
        );
        child.once('close', (code) => {
          clearTimeout(timer);
          untrackPid(pid);
          resolve(code);
        });
      }),
    };
  }

  test('the service not running: a clear error on stderr, a non-zero exit, nothing on stdout', async () => {
    const run = runSsh(['connect']);
    assert.equal(await run.exited, 1, 'connect exits 1 and ssh passes it on');
    assert.equal(run.stdout(), '');
    assert.match(
      run.stderr(),
      /^dbus-mcp connect: cannot connect to \S+\/run\/dbus-mcp\.sock \(no such socket\); start the service with `systemctl --user start dbus-mcp-standalone\.socket`/,
    );
    // A host sees its server fail to start, with that message (not a hang).
    const transport = new StdioClientTransport({ command: 'ssh', args: sshArgs('connect'), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    await assert.rejects(new Client({ name: 'ssh-test', version: '1.0.0' }).connect(transport));
    assert.match(stderr, /no such socket/);
  });

  describe('with the service running on the remote machine', () => {
    let served: Served;
    before(async () => {
      // serve runs "over there": in the namespace, on the remote user's runtime dir.
      served = await startServe({
        dir: host.runtimeDir,
        // As a user manager starts it: the session bus address in its environment.
        env: {
          DBUS_MCP_CONFIG: host.configFile,
          DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(host.runtimeDir, 'bus')}`,
        },
        command: (program, socketPath) => ({
          file: 'ip',
          args: host.inside([process.execPath, program, 'serve', '--socket', socketPath]),
        }),
      });
    });

    for (const remote of ['connect', 'stdio'] as const) {
      test(`ssh HOST dbus-mcp ${remote} answers MCP from its first byte on stdout`, async () => {
        const init = {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'raw', version: '1' },
          },
        };
        const run = runSsh([remote], `${JSON.stringify(init)}\n`);
        await waitFor(
          'the initialize answer',
          () => (run.stdout().includes('\n') ? true : undefined),
          30_000,
        );
        run.child.stdin.end();
        assert.equal(await run.exited, 0, run.stderr());
        assert.ok(run.stdout().startsWith('{"'), JSON.stringify(run.stdout().slice(0, 80)));
        const first = JSON.parse(run.stdout().split('\n')[0] as string) as {
          id: number;
          result: { serverInfo: unknown };
        };
        assert.equal(first.id, 1);
        assert.ok(first.result.serverInfo);
        assert.equal(run.stderr(), '', 'nothing on stderr either');
      });

      // One era each: the era is the program's business, ssh only carries the bytes.
      for (const era of remote === 'connect' ? (['2026'] as const) : (['2025'] as const)) {
        test(`a full session through ssh HOST dbus-mcp ${remote} (${era} era)`, async () => {
          const transport = new StdioClientTransport({
            command: 'ssh',
            args: sshArgs(remote),
            stderr: 'pipe',
          });
          let stderr = '';
          transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
          const client = new Client(
            { name: 'ssh-test', version: '1.0.0' },
            era === '2026' ? { versionNegotiation: { mode: 'auto' } } : {},
          );
          await client.connect(transport);
          onCleanup(() => client.close().catch(() => undefined));
          assert.equal(client.getNegotiatedProtocolVersion(), era === '2026' ? '2026-07-28' : '2025-11-25');
          const { tools } = await client.listTools();
          assert.ok(tools.some((t) => t.name === 'get_property'));
          const ok = await client.callTool({
            name: 'get_property',
            arguments: { ...TARGET, property: 'Answer' },
          });
          assert.equal((ok.structuredContent as { value: number }).value, 42);
          const failed = await client.callTool({
            name: 'get_property',
            arguments: { ...TARGET, service: 'com.example.Missing', property: 'Answer' },
          });
          assert.equal(toolError(failed).name, 'org.freedesktop.DBus.Error.NameHasNoOwner');
          await client.close();
          assert.equal(stderr, '', 'a normal session prints nothing on stderr');
        });
      }
    }

    test('the v1 SDK client through ssh HOST dbus-mcp connect: a success and a refusal as sent', async () => {
      const client = new V1Client({ name: 'ssh-test-v1', version: '1.0.0' });
      await client.connect(
        new V1StdioClientTransport({ command: 'ssh', args: sshArgs('connect'), stderr: 'pipe' }),
      );
      onCleanup(() => client.close().catch(() => undefined));
      await client.listTools();
      const ok = await client.callTool({
        name: 'get_property',
        arguments: { ...TARGET, property: 'Answer' },
      });
      assert.equal((ok.structuredContent as { value: number }).value, 42);
      const refused = await client.callTool({
        name: 'call_method',
        arguments: { ...TARGET, method: 'Go', signature: '' },
      });
      assert.equal(toolError(refused).name, 'dbus-mcp.POLICY_DENIED');
      await client.close();
    });

    /** A v2 client through ssh … connect whose transport close is awaited. */
    async function openSession() {
      const client = new Client({ name: 'ssh-drop-test', version: '1.0.0' });
      const closed = new Promise<void>((resolve) => (client.onclose = resolve));
      await client.connect(
        new StdioClientTransport({ command: 'ssh', args: sshArgs('connect'), stderr: 'pipe' }),
      );
      onCleanup(() => client.close().catch(() => undefined));
      await client.listTools();
      const clients = (await served.status()).clients.length;
      assert.ok(clients >= 1);
      return { client, closed };
    }

    /** `p`, or a rejection naming `what` after `ms` (the timer never outlives the race). */
    const within = async <T>(what: string, p: Promise<T>, ms: number): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms);
      });
      try {
        return await Promise.race([p, late]);
      } finally {
        clearTimeout(timer);
      }
    };

    test('the sshd serving a session is killed: the client sees the transport close, the remote side ends', async () => {
      const before = new Set(host.sessionPids());
      const { client, closed } = await openSession();
      const mine = host.sessionPids().filter((p) => !before.has(p));
      assert.equal(mine.length, 1, `one new sshd session process: ${mine.join(',')}`);
      process.kill(mine[0] as number, 'SIGKILL');
      await within('no close', closed, 10_000);
      await assert.rejects(client.listTools());
      await waitFor(
        'the remote client to be gone',
        async () => ((await served.status()).clients.length === 0 ? true : undefined),
        15_000,
      );
    });

    test('the link goes down mid-session: the client sees the transport close, nothing hangs', async () => {
      const { client, closed } = await openSession();
      host.setLink(false);
      try {
        const pending = client.listTools().then(
          () => 'answered',
          () => 'failed',
        );
        // ServerAliveInterval=1, ServerAliveCountMax=3: ssh gives up after about 4 s.
        await within('no close', closed, 20_000);
        assert.equal(await within('the pending request never settled', pending, 5_000), 'failed');
        // sshd's ClientAlive* end the remote session too: no orphan bridge or worker stays.
        await waitFor(
          'the remote client to be gone',
          async () => ((await served.status()).clients.length === 0 ? true : undefined),
          20_000,
        );
      } finally {
        host.setLink(true);
      }
    });
  });
});
