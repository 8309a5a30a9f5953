import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { TestBus } from '../helpers/buses.js';
import { addMockMethod, startMock, startSessionBus } from '../helpers/buses.js';
import type { RawConnection, Served } from '../helpers/supervisor.js';
import {
  INIT_2025,
  connectClient,
  rawConnect,
  startServe,
  waitFor,
  waitGone,
} from '../helpers/supervisor.js';

let bus: TestBus;
let served: Served;

before(async () => {
  bus = await startSessionBus();
  served = await startServe({
    env: {
      DBUS_MCP_SESSION_BUS_ADDRESS: bus.address,
      DBUS_MCP_MAX_MESSAGE_BYTES: '1024',
      DBUS_MCP_WORKER_HEARTBEAT_MS: '1000',
    },
  });
});

/** A raw 2025-era session past its handshake, and the client id it got. */
async function initialized(): Promise<{ raw: RawConnection; id: string; workerPid: number }> {
  const before = new Set((await served.status()).clients.map((c) => c.id));
  const raw = await rawConnect(served.socketPath);
  raw.send(INIT_2025);
  assert.equal((await raw.answer()).id, 'init');
  raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const c = await waitFor('session', async () =>
    (await served.status()).clients.find((x) => !before.has(x.id)),
  );
  return { raw, id: c.id, workerPid: c.workerPid as number };
}

const listTools = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
const faultReq = (id: number | string, kind: string, ms?: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'dbus-mcp/test-fault',
  params: { kind, ms },
});

async function expectError(raw: RawConnection, code: number, id: unknown, message?: RegExp): Promise<void> {
  const line = (await raw.next()) as { id: unknown; error?: { code: number; message: string } };
  assert.equal(line.id, id, JSON.stringify(line));
  assert.equal(line.error?.code, code, JSON.stringify(line));
  if (message) assert.match(line.error?.message ?? '', message);
}

test('garbage, batches, non-objects and an over-long line are answered and the connection stays usable', async () => {
  const { raw } = await initialized();
  raw.write('this is not json\n');
  await expectError(raw, -32700, null, /Parse error/);
  raw.send([listTools(1), listTools(2)]);
  await expectError(raw, -32600, null, /batch/);
  raw.write('42\n"text"\nnull\n');
  for (let i = 0; i < 3; i++) await expectError(raw, -32600, null, /object/);
  raw.send({ jsonrpc: '1.0', id: 7, method: 'tools/list' });
  await expectError(raw, -32600, 7, /not a JSON-RPC 2.0 message/);

  // Request ids that are not strings or integers: the SDK would drop them unanswered.
  for (const id of ['null', '1.5', '{"a":1}']) {
    raw.write(`{"jsonrpc":"2.0","id":${id},"method":"tools/list"}\n`);
    await expectError(raw, -32600, id === '1.5' ? 1.5 : null, /request id must be a string or an integer/);
  }

  // Over-long: valid JSON, sent in pieces, longer than MAX_MESSAGE_BYTES=1024. Its id is never answered.
  const long = JSON.stringify({ ...listTools('long'), params: { pad: 'x'.repeat(5000) } });
  for (let i = 0; i < long.length; i += 700) raw.write(long.slice(i, i + 700));
  raw.write(`\n${JSON.stringify(listTools('after'))}\n`);
  await expectError(raw, -32600, null, /MAX_MESSAGE_BYTES \(1024 bytes\)/);
  const after = await raw.next();
  assert.equal(after.id, 'after');
  assert.ok('result' in after);
  // A line just under the limit still goes through.
  const fits = JSON.stringify({ ...listTools('fits'), params: { pad: 'y'.repeat(900) } });
  assert.ok(Buffer.byteLength(fits) <= 1024);
  raw.write(`${fits}\n`);
  assert.equal((await raw.next()).id, 'fits');
  raw.socket.end();
  await raw.closed;
});

test('after a crash the cached initialize is replayed and its answer is never shown to the client', async () => {
  const { raw, id, workerPid } = await initialized();
  raw.send({ jsonrpc: '2.0', id: 'lvl', method: 'logging/setLevel', params: { level: 'warning' } });
  assert.equal((await raw.next()).id, 'lvl');
  raw.send(faultReq('boom', 'crash'));
  await expectError(raw, -32603, 'boom', /worker crashed; the session continues/);
  raw.send(listTools('next'));
  const next = await raw.next();
  assert.equal(next.id, 'next', 'the first line after the crash answers our request, not the replay');
  assert.ok('result' in next);
  await served.waitForLog('replaying session start', (l) => l.clientId === id && l.messages === 3);
  const crash = await served.waitForLog('worker crashed', (l) => l.clientId === id);
  assert.equal(crash.exitCode, 70);
  await waitGone(workerPid);
  raw.socket.end();
  await raw.closed;
});

test('a worker that hangs is killed after the heartbeat deadline and the session goes on', async () => {
  const { raw, id, workerPid } = await initialized();
  const started = Date.now();
  raw.send(faultReq('stuck', 'hang'));
  await expectError(raw, -32603, 'stuck', /worker crashed/);
  assert.ok(Date.now() - started < 5000, 'killed within the deadline');
  await waitGone(workerPid);
  const line = await served.waitForLog('worker crashed', (l) => l.clientId === id);
  assert.equal(line.signal, 'SIGKILL');
  assert.match(String(line.reason), /heartbeat/);
  raw.send(listTools('alive'));
  assert.equal((await raw.next()).id, 'alive');
  raw.socket.end();
  await raw.closed;
});

test('a crash loop backs off and then closes the client with a final error', async () => {
  const { raw, id } = await initialized();
  const pids = new Set<number>();
  for (let i = 1; i <= 6; i++) {
    const c = await waitFor('a ready worker', async () =>
      (await served.status()).clients.find((x) => x.id === id && x.state === 'ready'),
    );
    pids.add(c.workerPid as number);
    raw.send(faultReq(`crash-${i}`, 'crash'));
    await expectError(raw, -32603, `crash-${i}`);
  }
  assert.equal(pids.size, 6);
  await expectError(raw, -32603, null, /crashed 6 times within 60 s; closing this session/);
  await raw.closed;
  const delays = served.logs
    .filter((l) => l.msg === 'restarting worker' && l.clientId === id)
    .map((l) => l.delayMs);
  assert.deepEqual(delays, [0, 100, 200, 400, 800]);
  for (const pid of pids) await waitGone(pid);
  await served.waitForLog('client disconnected', (l) => l.clientId === id && l.reason === 'crash loop');
});

test('a worker that ignores shutdown and SIGTERM is SIGKILLed when its client leaves', async () => {
  const { raw, id, workerPid } = await initialized();
  raw.send(faultReq('stubborn', 'ignore-sigterm'));
  assert.equal((await raw.next()).id, 'stubborn');
  raw.socket.destroy();
  await waitGone(workerPid, 15_000);
  await served.waitForLog('worker ignored SIGTERM; SIGKILL', (l) => l.workerPid === workerPid);
  await served.waitForLog('client disconnected', (l) => l.clientId === id);
});

test('a worker crash never resets a rate limit: the replacement gets the policy state', async () => {
  const limited = await startServe({
    env: {
      DBUS_MCP_SESSION_BUS_ADDRESS: bus.address,
      DBUS_MCP_SAFETY_LEVEL: 'low',
      DBUS_MCP_RATE_LIMIT_MUTATING: '2',
    },
  });
  const mock = await startMock(bus, ['org.example.Rate', '/org/example/Rate', 'org.example.Rate']);
  await addMockMethod(bus, mock, {
    interface: 'org.example.Rate',
    name: 'Poke',
    inSig: '',
    outSig: '',
    code: '',
  });
  const client = await connectClient(limited.socketPath);
  const poke = () =>
    client.callTool({
      name: 'call_method',
      arguments: {
        service: 'org.example.Rate',
        path: '/org/example/Rate',
        interface: 'org.example.Rate',
        method: 'Poke',
      },
    });
  assert.notEqual((await poke()).isError, true);
  assert.notEqual((await poke()).isError, true);
  const third = await poke();
  assert.equal(third.isError, true);
  assert.match(JSON.stringify(third.content), /RATE_LIMITED/);

  const pid = (await limited.status()).clients[0]?.workerPid as number;
  process.kill(pid, 'SIGKILL');
  await waitFor('replacement worker', async () => {
    const c = (await limited.status()).clients[0];
    return c && c.workerPid !== pid && c.state === 'ready' ? true : undefined;
  });
  const afterCrash = await poke();
  assert.equal(afterCrash.isError, true, 'still limited after the crash');
  assert.match(JSON.stringify(afterCrash.content), /RATE_LIMITED/);
  await client.close();
});

test('a client that stops reading holds its worker back; nothing is lost when it reads again', async () => {
  const { raw, id } = await initialized();
  raw.socket.pause();
  const n = 400;
  for (let i = 0; i < n; i++) raw.send(listTools(`bulk-${i}`));
  await served.waitForLog('client not reading; worker output held', (l) => l.clientId === id);
  raw.socket.resume();
  for (let i = 0; i < n; i++) assert.equal((await raw.next()).id, `bulk-${i}`);
  await served.waitForLog('client reading again', (l) => l.clientId === id);
  raw.socket.end();
  await raw.closed;
});

test('a message nested too deep to relay is answered by its id (MESSAGE_TOO_DEEP); the session and other clients go on', async () => {
  // The default MAX_MESSAGE_BYTES (4 MiB): this serve's 1 KiB limit would refuse the line first.
  const deep = await startServe({ env: { DBUS_MCP_SESSION_BUS_ADDRESS: bus.address } });
  try {
    const raw = await rawConnect(deep.socketPath);
    raw.send(INIT_2025);
    assert.equal((await raw.answer()).id, 'init');
    raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const nested = (id: string, levels: number) =>
      `{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":{"name":"get_property","arguments":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}}\n`;
    // Before the depth bound, this request was never answered: JSON.stringify ran out of stack
    // passing it to the worker, and the supervisor only logged it.
    raw.write(nested('deep', 200_000));
    raw.send(listTools('after'));
    const refused = (await raw.answer()) as {
      id: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    assert.equal(refused.id, 'deep');
    assert.equal(refused.error?.code, -32600);
    assert.match(refused.error?.message ?? '', /more than 1000 levels deep/);
    assert.deepEqual(refused.error?.data, { code: 'MESSAGE_TOO_DEEP', limit: 1000 });
    const after = await raw.answer();
    assert.equal(after.id, 'after');
    assert.ok('result' in after);
    // At the bound the request reaches the worker, whose tool answers it (its arguments are wrong).
    raw.write(nested('fits', 997));
    const fits = (await raw.answer()) as { id: unknown; error?: unknown; result?: { isError?: boolean } };
    assert.equal(fits.id, 'fits');
    assert.ok(fits.error !== undefined || fits.result?.isError === true, JSON.stringify(fits).slice(0, 300));
    assert.doesNotMatch(JSON.stringify(fits), /MESSAGE_TOO_DEEP/);
    const other = await connectClient(deep.socketPath);
    assert.ok((await other.listTools()).tools.length > 0);
    await other.close();
    raw.socket.end();
    await raw.closed;
  } finally {
    await deep.stop();
  }
});

test('requests the client cancels are not left in flight: its hang-up ends the session without the grace', async () => {
  const { raw, id } = await initialized();
  const read = {
    name: 'get_property',
    arguments: {
      bus: 'session',
      service: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      property: 'Features',
    },
  };
  for (let i = 0; i < 3; i++) {
    raw.send({ jsonrpc: '2.0', id: `c${i}`, method: 'tools/call', params: read });
    raw.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: `c${i}`, reason: 'test' },
    });
  }
  raw.send({ jsonrpc: '2.0', id: 'ping', method: 'ping' });
  // An answer that crossed its cancellation may still come; the ping's always does.
  for (let m = await raw.answer(); m.id !== 'ping'; m = await raw.answer())
    assert.match(String(m.id), /^c\d$/);
  const session = await waitFor('nothing in flight', async () =>
    (await served.status()).clients.find((c) => c.id === id && c.inFlight === 0),
  );
  assert.equal(session.inFlight, 0);
  raw.socket.end();
  await raw.closed;
  const closed = await served.waitForLog('client disconnected', (l) => l.clientId === id);
  assert.equal(closed.reason, 'client hung up', 'not "client hung up with requests in flight"');
});
