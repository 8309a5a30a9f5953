import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import { onCleanup, trackPid, untrackPid } from '../helpers/cleanup.js';
import type { TestBus } from '../helpers/buses.js';
import { startSessionBus } from '../helpers/buses.js';
import type { LogLine } from '../helpers/supervisor.js';
import {
  INIT_2025,
  connectClient,
  programPath,
  rawConnect,
  readStatus,
  startServe,
  tempDir,
  waitFor,
} from '../helpers/supervisor.js';

/**
 * Socket activation as systemd does it (issue 14, points 2, 5 and 6): a configuration error keeps
 * an activated server up answering instead of exiting into a restart loop; a passed socket at
 * another path is served where it is; a stopping server stops accepting first, and a connection
 * made while it drains waits in the kernel queue for the next process.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const HOLDER = join(ROOT, 'test/fixtures/socket-holder.py');
let bus: TestBus;

before(async () => {
  bus = await startSessionBus();
});

/** `systemd-socket-activate -l PATH` starting `serve` on the first connection, with `env` passed on. */
function activated(path: string) {
  return (program: string, _socketPath: string, env: NodeJS.ProcessEnv) => ({
    file: 'systemd-socket-activate',
    args: [
      '-l',
      path,
      ...Object.keys(env)
        .filter((k) => /^(DBUS_MCP_|TEST_DBUS_MCP_|XDG_RUNTIME_DIR$|PATH$|HOME$)/.test(k))
        .map((k) => `-E${k}`),
      process.execPath,
      program,
      'serve',
    ],
  });
}

test('a configuration error under socket activation answers every client, shows in status, and a reload recovers', async () => {
  const dir = tempDir();
  const configFile = join(dir, 'config');
  writeFileSync(configFile, '# dbus-mcp\nSAFETY_LEVEL="extreme"\n');
  const served = await startServe({
    dir,
    env: { DBUS_MCP_SESSION_BUS_ADDRESS: bus.address, DBUS_MCP_CONFIG: configFile },
    noWait: true,
    command: activated(join(dir, 'dbus-mcp.sock')),
  });
  await waitFor('activation socket', () => existsSync(served.socketPath) || undefined);

  for (let i = 0; i < 3; i++) {
    const raw = await rawConnect(served.socketPath);
    raw.send(INIT_2025);
    const answer = (await raw.next(30_000)) as {
      id: unknown;
      error: { code: number; message: string; data: { code: string; fix: string } };
    };
    assert.equal(answer.id, 'init');
    assert.equal(answer.error.code, -32000);
    assert.match(answer.error.message, new RegExp(`${configFile}:2: SAFETY_LEVEL="extreme" is not allowed`));
    assert.match(answer.error.message, /systemctl --user reload dbus-mcp-standalone\.service/);
    assert.equal(answer.error.data.code, 'CONFIG_INVALID');
    await raw.closed;
  }
  assert.equal(served.proc.exitCode, null, 'the server stays up: no exit for systemd to restart');
  const journal = await served.waitForLog('configuration error; refusing clients until it is fixed');
  assert.match(String((journal.err as { message?: string }).message), /config:2: SAFETY_LEVEL/);

  const status = await run(process.execPath, [programPath(), 'status'], { env: served.env });
  assert.match(status.stdout, /NOT SERVING: configuration error: .*config:2: SAFETY_LEVEL="extreme"/);
  assert.match(status.stdout, /fix: fix the file, then run `systemctl --user reload/);
  assert.match(status.stderr, /configuration error: .*config:2/);
  const doc = await served.status();
  assert.equal(doc.state, 'refusing');
  assert.equal(doc.error?.code, 'CONFIG_INVALID');

  writeFileSync(configFile, '# dbus-mcp\nSAFETY_LEVEL="medium"\n');
  served.proc.kill('SIGHUP');
  await served.waitForLog('configuration fixed; serving');
  const client = await connectClient(served.socketPath);
  assert.ok((await client.listTools()).tools.length > 0);
  const fixed = await served.status();
  assert.equal(fixed.state, 'serving');
  assert.equal(fixed.safetyLevel, 'medium');
  await client.close();
  assert.equal(await served.stop(), 0);
});

test('a bad rule file under socket activation refuses likewise; without activation serve exits 78', async () => {
  const dir = tempDir();
  const rules = join(dir, 'policy.d');
  await run('mkdir', [rules]);
  writeFileSync(join(rules, 'bad.rules'), 'allow session org.example.*\nperhaps session x\n');
  const served = await startServe({
    dir,
    env: { DBUS_MCP_SESSION_BUS_ADDRESS: bus.address, DBUS_MCP_POLICY_DIRS: rules },
    noWait: true,
    command: activated(join(dir, 'dbus-mcp.sock')),
  });
  await waitFor('activation socket', () => existsSync(served.socketPath) || undefined);
  const raw = await rawConnect(served.socketPath);
  raw.send(INIT_2025);
  const answer = (await raw.next(30_000)) as { error: { message: string; data: { code: string } } };
  assert.match(answer.error.message, /bad\.rules:2: unknown verb 'perhaps'/);
  assert.equal(answer.error.data.code, 'POLICY_RULE_INVALID');
  assert.equal(await served.stop(), 0);

  const plain = await startServe({
    dir: tempDir(),
    env: { DBUS_MCP_SESSION_BUS_ADDRESS: bus.address, DBUS_MCP_POLICY_DIRS: rules },
    noWait: true,
  });
  assert.equal(await plain.exited, 78);
});

test('a passed socket at another path than SOCKET_PATH is served where it is, never replaced', async () => {
  const dir = tempDir();
  const moved = join(dir, 'moved.sock');
  const served = await startServe({
    dir,
    env: { DBUS_MCP_SESSION_BUS_ADDRESS: bus.address },
    noWait: true,
    command: activated(moved),
  });
  await waitFor('activation socket', () => existsSync(moved) || undefined);
  const client = await connectClient(moved);
  assert.ok((await client.listTools()).tools.length > 0);
  const line = await served.waitForLog('the socket systemd passed is not at SOCKET_PATH; serving it');
  assert.equal(line.socket, moved);
  const doc = await readStatus(moved);
  assert.equal(doc.socket, moved);
  assert.equal(doc.activated, true);
  assert.ok(!existsSync(served.socketPath), 'nothing was bound at SOCKET_PATH');
  assert.ok(!served.logs.some((l) => l.msg === 'the activated socket file is gone; binding a fresh one'));
  await client.close();
  assert.equal(await served.stop(), 0);
  assert.ok(existsSync(moved), "systemd's socket file stays");
});

/** test/fixtures/socket-holder.py: holds the listening socket across service starts, as a .socket unit does. */
async function startHolder(path: string, env: NodeJS.ProcessEnv) {
  const proc = spawn('/usr/bin/python3', [HOLDER, path, process.execPath, programPath(), 'serve'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackPid(proc.pid as number);
  const said: string[] = [];
  createInterface({ input: proc.stdout }).on('line', (l) => said.push(l));
  const logs: LogLine[] = [];
  createInterface({ input: proc.stderr }).on('line', (l) => {
    try {
      logs.push(JSON.parse(l) as LogLine);
    } catch {
      logs.push({ msg: l, raw: true });
    }
  });
  onCleanup(async () => {
    proc.stdin.end();
    await new Promise((r) => proc.once('exit', r));
    untrackPid(proc.pid as number);
  });
  const tell = async (verb: string, reply: RegExp): Promise<string> => {
    const seen = said.length;
    proc.stdin.write(`${verb}\n`);
    return waitFor(`holder: ${verb}`, () => said.slice(seen).find((l) => reply.test(l)), 20_000);
  };
  await waitFor('holder ready', () => said.includes('ready') || undefined);
  return { logs, tell };
}

test('a stopping server stops accepting first; a client that connects while it drains is served by the next process', async () => {
  const dir = tempDir();
  const path = join(dir, 'dbus-mcp.sock');
  const configFile = join(dir, 'config');
  writeFileSync(configFile, '');
  const env = {
    ...process.env,
    DBUS_MCP_CONFIG: configFile,
    DBUS_MCP_SOCKET_PATH: path,
    DBUS_MCP_SESSION_BUS_ADDRESS: bus.address,
    DBUS_MCP_LOG_LEVEL: 'debug',
    TEST_DBUS_MCP_FAULTS: '1',
    XDG_RUNTIME_DIR: dir,
  };
  const holder = await startHolder(path, env);
  const oldPid = Number(/started (\d+)/.exec(await holder.tell('start', /^started \d+/))?.[1]);
  trackPid(oldPid);
  const ofPid = (pid: number) => holder.logs.filter((l) => l.pid === pid);
  await waitFor('old listening', () => ofPid(oldPid).find((l) => l.msg === 'listening'));

  // Client A keeps the old process draining: its worker ignores shutdown and SIGTERM.
  const a = await rawConnect(path);
  a.send(INIT_2025);
  assert.equal((await a.answer(30_000)).id, 'init');
  a.send({
    jsonrpc: '2.0',
    id: 'stubborn',
    method: 'dbus-mcp/test-fault',
    params: { kind: 'ignore-sigterm' },
  });
  assert.equal((await a.answer()).id, 'stubborn');

  process.kill(oldPid, 'SIGTERM');
  await waitFor('old draining', () => ofPid(oldPid).find((l) => l.msg === 'draining'));
  // B connects while the old process drains: the kernel queues it on the socket the holder keeps.
  const b = await rawConnect(path);
  b.send(INIT_2025);
  // (The old process is the holder's child: a zombie until the holder reaps it at `stop`.)
  await waitFor('old drained', () => ofPid(oldPid).find((l) => l.msg === 'stopped'), 30_000);
  await holder.tell('stop', /^stopped/);
  untrackPid(oldPid);
  const drained = ofPid(oldPid);
  const drainAt = drained.findIndex((l) => l.msg === 'draining');
  assert.ok(
    !drained.slice(drainAt).some((l) => l.msg === 'client connected'),
    'the draining process accepted no connection',
  );
  assert.ok(
    drained.some((l) => l.msg === 'worker ignored SIGTERM; SIGKILL'),
    'it really was busy draining',
  );

  const newPid = Number(/started (\d+)/.exec(await holder.tell('start', /^started \d+/))?.[1]);
  trackPid(newPid);
  const answer = await b.answer(60_000);
  assert.equal(answer.id, 'init');
  assert.ok('result' in answer, JSON.stringify(answer));
  assert.ok(
    ofPid(newPid).some((l) => l.msg === 'client connected'),
    'the new process served B',
  );
  const doc = await readStatus(path);
  assert.equal(doc.pid, newPid);
  b.socket.end();
  await b.closed;
  await holder.tell('stop', /^stopped 0/);
  untrackPid(newPid);
});
