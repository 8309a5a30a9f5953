import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import type { TestBus } from '../helpers/buses.js';
import { startSessionBus } from '../helpers/buses.js';
import {
  INIT_2025,
  connectClient,
  programPath,
  rawConnect,
  startServe,
  tempDir,
  waitFor,
  waitGone,
} from '../helpers/supervisor.js';

const run = promisify(execFile);
let bus: TestBus;
const busEnv = () => ({ DBUS_MCP_SESSION_BUS_ADDRESS: bus.address });

before(async () => {
  bus = await startSessionBus();
});

test('the socket and its control socket are mode 0600', async () => {
  const served = await startServe({ env: busEnv() });
  assert.equal(statSync(served.socketPath).mode & 0o777, 0o600);
  assert.equal(statSync(`${served.socketPath}.ctl`).mode & 0o777, 0o600);
  assert.equal(await served.stop(), 0);
  assert.ok(!existsSync(served.socketPath), 'socket file removed on exit');
  assert.ok(!existsSync(`${served.socketPath}.ctl`));
});

test('SIGTERM with clients connected drains, stops every worker and exits 0', async () => {
  const served = await startServe({ env: busEnv() });
  const a = await connectClient(served.socketPath);
  const b = await connectClient(served.socketPath);
  await a.callTool({ name: 'list_services', arguments: {} });
  const raw = await rawConnect(served.socketPath);
  raw.send(INIT_2025);
  await raw.answer();
  raw.send({
    jsonrpc: '2.0',
    id: 'slow',
    method: 'dbus-mcp/test-fault',
    params: { kind: 'sleep', ms: 60_000 },
  });
  await waitFor('three ready clients and a spare', async () => {
    const st = await served.status();
    return st.clients.filter((c) => c.state === 'ready').length === 3 && st.spareWorkers.length > 0
      ? true
      : undefined;
  });
  await waitFor('slow call in flight', async () =>
    (await served.status()).clients.some((c) => c.inFlight === 1),
  );
  const st = await served.status();
  const workers = [...st.clients.map((c) => c.workerPid as number), ...st.spareWorkers.map((w) => w.pid)];
  // Three clients' workers and the spares: one, or more for a while after clients found none booted.
  assert.ok(workers.length >= 4, `workers: ${workers.join(', ')}`);

  const code = await served.stop('SIGTERM');
  assert.equal(code, 0);
  const answer = await raw.answer();
  assert.equal(answer.id, 'slow');
  assert.match(JSON.stringify(answer), /server is shutting down/);
  await raw.closed;
  for (const pid of workers) await waitGone(pid, 1000);
  assert.ok(!existsSync(served.socketPath));
  await Promise.all([a.close(), b.close()]);
});

test('socket activation: systemd-socket-activate starts serve on the first connection', async () => {
  const dir = tempDir();
  const served = await startServe({
    dir,
    env: busEnv(),
    noWait: true,
    // systemd-socket-activate passes on only the variables named with -E.
    command: (program, socketPath, env) => ({
      file: 'systemd-socket-activate',
      args: [
        '-l',
        socketPath,
        ...Object.keys(env)
          .filter((k) => /^(DBUS_MCP_|TEST_DBUS_MCP_|XDG_RUNTIME_DIR$|PATH$|HOME$)/.test(k))
          .map((k) => `-E${k}`),
        process.execPath,
        program,
        'serve',
      ],
    }),
  });
  await waitFor('activation socket', () => existsSync(served.socketPath) || undefined);
  const client = await connectClient(served.socketPath);
  const res = await client.callTool({ name: 'list_services', arguments: {} });
  assert.notEqual(res.isError, true);
  const st = await served.status();
  assert.equal(st.activated, true);
  assert.equal(st.pid, served.pid, 'systemd-socket-activate execs the program in place');
  await client.close();
  assert.equal(await served.stop(), 0);
  assert.ok(existsSync(served.socketPath), 'the activated socket file belongs to systemd and stays');
});

test('socket activation whose socket file was removed binds a fresh socket at SOCKET_PATH', async () => {
  const dir = tempDir();
  // Stand-in for systemd: bind, keep the fd as 3, remove the file (the guide's rm -f), exec serve.
  const script = [
    'import os, socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
    's.bind(sys.argv[1]); s.listen(16)',
    'os.dup2(s.fileno(), 3); os.set_inheritable(3, True); os.unlink(sys.argv[1])',
    "os.environ['LISTEN_FDS'] = '1'; os.environ['LISTEN_PID'] = str(os.getpid())",
    'os.execv(sys.argv[2], sys.argv[2:])',
  ].join('\n');
  const served = await startServe({
    dir,
    env: busEnv(),
    command: (program, socketPath) => ({
      file: '/usr/bin/python3',
      args: ['-c', script, socketPath, process.execPath, program, 'serve'],
    }),
  });
  await served.waitForLog('the activated socket file is gone; binding a fresh one');
  assert.equal(statSync(served.socketPath).mode & 0o777, 0o600);
  const client = await connectClient(served.socketPath);
  assert.ok((await client.listTools()).tools.length > 0);
  await client.close();
  assert.equal(await served.stop(), 0);
});

test('a stale socket file is replaced; a live server on the path makes a second serve refuse', async () => {
  const dir = tempDir();
  const path = join(dir, 'dbus-mcp.sock');
  await run('/usr/bin/python3', [
    '-c',
    'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
    path,
  ]);
  assert.ok(statSync(path).isSocket());
  const first = await startServe({ dir, env: busEnv() });
  const client = await connectClient(first.socketPath);
  assert.ok((await client.listTools()).tools.length > 0);

  const second = await startServe({ dir, env: busEnv(), noWait: true });
  assert.equal(await second.exited, 1);
  assert.ok(
    second.logs.some((l) => /another server is already listening on .*dbus-mcp\.sock/.test(String(l.msg))),
    JSON.stringify(second.logs),
  );
  assert.ok((await client.listTools()).tools.length > 0, 'the first server is untouched');
  await client.close();
  assert.equal(await first.stop(), 0);
});

test('MAX_CLIENTS + 1: the extra client gets an error naming the limit and is closed', async () => {
  const served = await startServe({ env: { ...busEnv(), DBUS_MCP_MAX_CLIENTS: '2' } });
  const a = await connectClient(served.socketPath);
  const b = await connectClient(served.socketPath);
  const extra = await rawConnect(served.socketPath);
  const refusal = (await extra.next()) as { id: unknown; error: { code: number; message: string } };
  assert.equal(refusal.id, null);
  assert.match(refusal.error.message, /MAX_CLIENTS \(2\)/);
  await extra.closed;
  await b.close();
  await waitFor('one client left', async () =>
    (await served.status()).clients.length === 1 ? true : undefined,
  );
  const c = await connectClient(served.socketPath);
  assert.ok((await c.listTools()).tools.length > 0);
  await Promise.all([a.close(), c.close()]);
});

test('SIGHUP reloads the configuration; a bad file keeps the running one', async () => {
  const served = await startServe({ env: busEnv() });
  const client = await connectClient(served.socketPath);
  const configFile = served.env.DBUS_MCP_CONFIG as string;
  writeFileSync(configFile, 'SAFETY_LEVEL="medium"\n');
  served.proc.kill('SIGHUP');
  await served.waitForLog('configuration reloaded', (l) => l.safetyLevel === 'medium');
  await served.waitForLog('configuration applied', (l) => l.level === 'medium');
  assert.equal((await served.status()).safetyLevel, 'medium');
  writeFileSync(configFile, 'SAFETY_LEVEL="reckless"\n');
  served.proc.kill('SIGHUP');
  const failed = await served.waitForLog('configuration reload failed; keeping the running configuration');
  assert.match(String((failed.err as { message?: string }).message), /SAFETY_LEVEL/);
  assert.equal((await served.status()).safetyLevel, 'medium');
  assert.ok((await client.listTools()).tools.length > 0);
  await client.close();
  assert.equal(await served.stop(), 0);
});

test('`dbus-mcp connect` with no server: a clear error, a hint and a non-zero exit', async () => {
  const dir = tempDir();
  const env = {
    ...process.env,
    DBUS_MCP_CONFIG: join(dir, 'none'),
    DBUS_MCP_SOCKET_PATH: join(dir, 'missing.sock'),
  };
  writeFileSync(env.DBUS_MCP_CONFIG, '');
  await assert.rejects(
    run(process.execPath, [programPath(), 'connect'], { env }),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /missing\.sock/);
      assert.match(err.stderr, /systemctl --user start dbus-mcp-standalone\.socket/);
      assert.match(err.stderr, /dbus-mcp serve/);
      return true;
    },
  );
});

test('`dbus-mcp connect` runs from its one-file bridge, and answers every line as the full command line does', async () => {
  const dir = tempDir();
  // At exit, the CommonJS files this process loaded: lib/dbus-mcp/connect.cjs on the fast path.
  const hook = join(dir, 'loaded.cjs');
  writeFileSync(
    hook,
    "process.on('exit', () => require('fs').writeSync(2, `\\nLOADED ${Object.keys(require.cache).filter((f) => f.includes('dbus-mcp')).join(',')}\\n`));\n",
  );
  writeFileSync(join(dir, 'config'), '');
  const env = {
    ...process.env,
    DBUS_MCP_CONFIG: join(dir, 'config'),
    DBUS_MCP_SOCKET_PATH: join(dir, 'missing.sock'),
  };
  const outcome = async (args: string[]) => {
    const r = await run(process.execPath, ['--require', hook, programPath(), ...args], { env }).then(
      (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    const [stderr, loaded = ''] = r.stderr.split('\nLOADED ');
    return { code: r.code, stdout: r.stdout, stderr: stderr ?? '', fast: loaded.includes('connect.cjs') };
  };
  // A line starting with `connect` runs from the bridge; with a flag first, from the full CLI.
  const lines: Array<[string[], string[]]> = [
    [['connect'], ['--log-level', 'info', 'connect']],
    [
      ['connect', 'extra'],
      ['--log-level', 'info', 'connect', 'extra'],
    ],
    [
      ['connect', '--socket', join(dir, 'other.sock')],
      ['--socket', join(dir, 'other.sock'), 'connect'],
    ],
  ];
  for (const [fastLine, fullLine] of lines) {
    const fast = await outcome(fastLine);
    const full = await outcome(fullLine);
    assert.equal(fast.fast, true, `${fastLine.join(' ')} runs from connect.cjs`);
    assert.equal(full.fast, false, `${fullLine.join(' ')} runs from the full command line`);
    assert.deepEqual({ ...fast, fast: true }, { ...full, fast: true }, fastLine.join(' '));
    assert.notEqual(fast.code, 0);
  }
  const usage = await outcome(['connect', 'extra']);
  assert.equal(usage.code, 64);
  assert.match(usage.stderr, /^dbus-mcp connect: connect: unknown argument extra$/m);
  // What the bridge leaves to the full command line (help, version, a flag without its value):
  // the same answer as the line that never goes near the bridge.
  const leftToCli: Array<[string[], string[]]> = [
    [
      ['connect', '--help'],
      ['--help', 'connect'],
    ],
    [
      ['connect', '--version'],
      ['--version', 'connect'],
    ],
    [
      ['connect', '--socket'],
      ['--log-level', 'info', 'connect', '--socket'],
    ],
  ];
  for (const [line, fullLine] of leftToCli) {
    const r = await outcome(line);
    const full = await outcome(fullLine);
    assert.deepEqual({ ...r, fast: false }, { ...full, fast: false }, line.join(' '));
  }
  const help = await outcome(['connect', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^dbus-mcp connect/);
});

/** Runs `connect` with `input` on stdin; returns its stdout lines once it exits. */
function bridge(
  served: { env: NodeJS.ProcessEnv },
  input: string,
  viaSocketpair: boolean,
): Promise<string[]> {
  const connect = `${process.execPath} ${programPath()} connect`;
  // socat's EXEC address talks to its child over a socketpair (stdin and stdout are one socket).
  const [file, args] = viaSocketpair
    ? ['socat', ['-t', '10', 'STDIO', `EXEC:${connect}`]]
    : [process.execPath, [programPath(), 'connect']];
  const child = spawn(file as string, args as string[], {
    env: served.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connect did not exit; got ${out}`)), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.split('\n').filter(Boolean));
      else reject(new Error(`exit ${code}`));
    });
  });
}

test('`dbus-mcp connect` half-closes both ways, over a pipe and over a socketpair', async () => {
  const served = await startServe({ env: busEnv() });
  const input = [
    INIT_2025,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 'slow', method: 'dbus-mcp/test-fault', params: { kind: 'sleep', ms: 500 } },
  ]
    .map((m) => JSON.stringify(m))
    .join('\n');
  for (const viaSocketpair of [false, true]) {
    // Answers only: a slow worker boot on a loaded machine adds waiting notices (no id) first.
    const answers = (await bridge(served, `${input}\n`, viaSocketpair))
      .map((l) => JSON.parse(l) as { id?: string })
      .filter((l) => 'id' in l);
    assert.deepEqual(
      answers.map((l) => l.id),
      ['init', 'slow'],
      `answers after stdin ended (${viaSocketpair ? 'socketpair' : 'pipe'})`,
    );
  }
  await waitFor('sessions closed', async () =>
    (await served.status()).clients.length === 0 ? true : undefined,
  );
  assert.equal(await served.stop(), 0);
});

test('serve with neither SOCKET_PATH nor XDG_RUNTIME_DIR stops with a clear error', async () => {
  const dir = tempDir();
  const configFile = join(dir, 'config');
  writeFileSync(configFile, '');
  const env: NodeJS.ProcessEnv = { ...process.env, DBUS_MCP_CONFIG: configFile };
  delete env.XDG_RUNTIME_DIR;
  delete env.DBUS_MCP_SOCKET_PATH;
  await assert.rejects(
    run(process.execPath, [programPath(), 'serve'], { env }),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /no socket path: set SOCKET_PATH .* or XDG_RUNTIME_DIR/);
      return true;
    },
  );
});

test('a bad policy rule file stops serve at start-up with exit 78 naming file:line', async () => {
  const dir = tempDir();
  const rules = join(dir, 'policy.d');
  mkdirSync(rules);
  writeFileSync(join(rules, 'bad.rules'), 'allow session org.example.*\nperhaps session x\n');
  const served = await startServe({ dir, env: { ...busEnv(), DBUS_MCP_POLICY_DIRS: rules }, noWait: true });
  assert.equal(await served.exited, 78);
  assert.ok(
    served.logs.some((l) => /bad\.rules:2/.test(String(l.msg))),
    JSON.stringify(served.logs),
  );
});
