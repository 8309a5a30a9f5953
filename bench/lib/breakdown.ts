import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { CallToolResult, JSONRPCMessage, ServerContext } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { BusManager } from '../../src/worker/dbus/bus-manager.js';
import { createWorkerRuntime } from '../../src/worker/runtime.js';
import type { Bus } from './procs.js';
import { stopChild, tempDir, track } from './procs.js';
import { GET_PROPERTY_ARGS as ARGS, PROPERTIES_GET, rawGet } from './sections.js';
import type { Summary } from './stats.js';
import { round, summarize, timeInterleaved, timeSequential } from './stats.js';

/**
 * (10) Where the time of a tool call goes: the layers of the worker's path measured one by one in
 * this process (the TypeScript sources through tsx, not the bundle), and a bare Node relay with the
 * supervisor's shape. Each step is `get_property` of MOCK with one more layer than the previous.
 */

export interface Layer extends Summary {
  /** CPU of this process per call (user + system), ms. */
  cpuMs: number;
}

async function measure(n: number, warmup: number, fn: () => Promise<unknown>): Promise<Layer> {
  await timeSequential(warmup, 0, fn);
  const cpu = process.cpuUsage();
  const samples = await timeSequential(n, 0, fn);
  const used = process.cpuUsage(cpu);
  return { ...summarize(samples), cpuMs: round((used.user + used.system) / 1000 / n) };
}

/** A raw MCP client on an in-memory transport pair: sends requests, resolves with their answers. */
async function memoryClient(factory: () => ReturnType<ReturnType<typeof createWorkerRuntime>['factory']>) {
  const [client, server] = InMemoryTransport.createLinkedPair();
  const served = serveStdio(factory, { transport: server, onerror: () => {} });
  const waiting = new Map<number, (m: JSONRPCMessage) => void>();
  client.onmessage = (msg: JSONRPCMessage) => {
    if ('id' in msg && typeof msg.id === 'number' && !('method' in msg)) waiting.get(msg.id)?.(msg);
  };
  await client.start();
  let id = 0;
  const request = (method: string, params: Record<string, unknown>) =>
    new Promise<JSONRPCMessage>((resolve) => {
      const n = ++id;
      waiting.set(n, (m) => {
        waiting.delete(n);
        resolve(m);
      });
      void client.send({ jsonrpc: '2.0', id: n, method, params });
    });
  await request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'dbus-mcp-bench', version: '1' },
  });
  await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return { request, close: () => served.close() };
}

export async function inProcessLayers(bus: Bus, n: number, warmup: number): Promise<Record<string, Layer>> {
  const { config } = loadConfig({
    env: { DBUS_MCP_SESSION_BUS_ADDRESS: bus.address },
    configFile: '/dev/null',
  });
  const log = createLogger({ level: 'warn', name: 'bench' });
  const buses = new BusManager({ config: () => config, log });
  const runtime = createWorkerRuntime({ config, log, clientId: 'bench-breakdown' });
  const mcp = await memoryClient(runtime.factory);
  try {
    const conn = buses.get('session');
    const busCall = () => conn.call(PROPERTIES_GET, { timeoutMs: 25_000 });
    // The tool's own handler, as the SDK calls it, with the smallest request context it reads.
    const handler = runtime.toolsOf(runtime.factory())['get_property']?.handler as unknown as (
      args: typeof ARGS,
      ctx: ServerContext,
    ) => Promise<CallToolResult>;
    const ctx = {
      mcpReq: { signal: undefined, _meta: undefined, notify: async () => {} },
    } as unknown as ServerContext;
    const direct = async () => {
      const result = await handler(ARGS, ctx);
      if (result.isError) throw new Error(`get_property failed: ${JSON.stringify(result.content)}`);
    };
    const viaSdk = async () => {
      const answer = await mcp.request('tools/call', { name: 'get_property', arguments: ARGS });
      if (!('result' in answer) || (answer.result as CallToolResult).isError)
        throw new Error(`tools/call failed: ${JSON.stringify(answer)}`);
    };
    return {
      rawDbusNext: await measure(n, warmup, rawGet(bus)),
      busConnection: await measure(n, warmup, busCall),
      toolHandler: await measure(n, warmup, direct),
      sdkInMemory: await measure(n, warmup, viaSdk),
    };
  } finally {
    await mcp.close();
    await runtime.close();
    await buses.closeAll();
  }
}

/**
 * The relay (a socket server that forks a child per connection) and its child, as one script. The
 * child answers at once, or (`child-dbus`) makes the raw Properties.Get first, with dbus-next from
 * DBUS_NEXT on the bus at BUS_ADDRESS.
 */
const RELAY = `
const net = require('node:net'), { fork } = require('node:child_process');
const answer = (m) => process.send({ t: 'mcp', msg: { jsonrpc: '2.0', id: m.msg.id, result: { content: [{ type: 'text', text: 'x'.repeat(200) }] } } });
if (process.argv[2] === 'child') {
  process.on('message', answer);
} else if (process.argv[2] === 'child-dbus') {
  const dbus = require(process.env.DBUS_NEXT);
  const bus = dbus.sessionBus({ busAddress: process.env.BUS_ADDRESS });
  const get = JSON.parse(process.env.PROPERTIES_GET);
  process.on('message', (m) => bus.call(new dbus.Message(get)).then(() => answer(m)));
} else {
  net.createServer((socket) => {
    const child = fork(__filename, [process.argv[3]], { serialization: 'json', execArgv: ['--max-semi-space-size=1', '--single-threaded'] });
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      buf += d;
      for (let nl = buf.indexOf('\\n'); nl >= 0; nl = buf.indexOf('\\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        child.send({ t: 'mcp', msg: JSON.parse(line) });
      }
    });
    child.on('message', (m) => socket.write(JSON.stringify(m.msg) + '\\n'));
    socket.on('close', () => child.kill());
  }).listen(process.argv[2], () => process.send('listening'));
}`;

/** A relay process and one connection to it; `call` sends a `tools/call` line and waits for the answer. */
async function startRelay(bus?: Bus): Promise<{ call: () => Promise<void>; close: () => Promise<void> }> {
  const dir = tempDir('bench-relay');
  const script = join(dir, 'relay.cjs');
  const socketPath = join(dir, 'relay.sock');
  writeFileSync(script, RELAY);
  const env = bus
    ? {
        ...process.env,
        DBUS_NEXT: createRequire(import.meta.url).resolve('dbus-next'),
        BUS_ADDRESS: bus.address,
        PROPERTIES_GET: JSON.stringify(PROPERTIES_GET),
      }
    : process.env;
  const relay = track(
    fork(script, [socketPath, bus ? 'child-dbus' : 'child'], {
      env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  await new Promise<void>((resolve, reject) => {
    relay.once('message', () => resolve());
    relay.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setEncoding('utf8');
  let waiter: (() => void) | undefined;
  let buf = '';
  socket.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      buf = buf.slice(nl + 1);
      waiter?.();
    }
  });
  let id = 0;
  const line = (i: number) =>
    `${JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'get_property', arguments: ARGS } })}\n`;
  const call = () =>
    new Promise<void>((resolve) => {
      waiter = resolve;
      socket.write(line(++id));
    });
  return {
    call,
    close: async () => {
      socket.destroy();
      await stopChild(relay);
    },
  };
}

/**
 * A bare Node relay with the supervisor's shape — socket, newline framing, `JSON.parse`, a forked
 * child over the JSON IPC channel answering at once, and back — as the floor of the two hops.
 */
export async function relayFloor(n: number, warmup: number): Promise<Summary> {
  const relay = await startRelay();
  try {
    return await measure(n, warmup, relay.call);
  } finally {
    await relay.close();
  }
}

/**
 * The floor of this design for a `get_property`: the same relay whose child makes the raw D-Bus
 * call before it answers (no SDK, no tool, no policy), interleaved with the raw call in this
 * process in blocks of 100, so the two are measured over the same minutes.
 */
export async function designFloor(
  bus: Bus,
  blocks: number,
  warmup: number,
): Promise<{ raw: Summary; floor: Summary }> {
  const relay = await startRelay(bus);
  try {
    const side = await timeInterleaved({ raw: rawGet(bus), floor: relay.call }, blocks, 100, warmup);
    return { raw: summarize(side.raw), floor: summarize(side.floor) };
  } finally {
    await relay.close();
  }
}
