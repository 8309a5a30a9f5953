// Holds COUNT MCP clients on the dbus-mcp socket at once, for the system test's MAX_CLIENTS step.
// Plain Node (no dependencies, no TypeScript): under an emulated CPU every import costs seconds.
//
//   node clients.mjs SOCKET COUNT
// Connects the clients one after another (each: initialize, notifications/initialized, one
// tools/call), prints "client N ready" per client and "all COUNT ready", then obeys stdin lines:
//   call   every client calls a tool at the same moment → "calls ok COUNT" or "calls failed …"
//   extra  one more client connects → "extra refused <error message>" or "extra accepted"
// and closes every client at the end of stdin.
import net from 'node:net';
import readline from 'node:readline';

const [socketPath, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!socketPath || !Number.isInteger(count) || count < 1) {
  console.error('usage: node clients.mjs SOCKET COUNT');
  process.exit(64);
}
const ANSWER_MS = 600_000;

class Client {
  constructor(name) {
    this.name = name;
    this.nextId = 1;
    this.pending = new Map();
    this.buffer = '';
    this.closed = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.socket = net.connect(socketPath);
      this.socket.setEncoding('utf8');
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
      this.socket.on('data', (chunk) => this.onData(chunk));
      this.socket.on('close', () => {
        this.closed = true;
        for (const p of this.pending.values()) p.reject(new Error(`${this.name}: connection closed`));
        this.pending.clear();
      });
    });
  }

  onData(chunk) {
    this.buffer += chunk;
    let nl;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (!line.trim()) continue;
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      // An answer with id null is the server speaking about the connection (e.g. MAX_CLIENTS).
      const key = msg.id === null ? 'null' : msg.id;
      const p = this.pending.get(key) ?? (msg.id === null ? [...this.pending.values()][0] : undefined);
      if (p) {
        this.pending.delete(key);
        p.resolve(msg);
      }
    }
  }

  request(method, params) {
    const id = this.nextId++;
    const answer = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      setTimeout(
        () => reject(new Error(`${this.name}: no answer to ${method} in ${ANSWER_MS} ms`)),
        ANSWER_MS,
      ).unref();
    });
    this.socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return answer;
  }

  async initialize() {
    const r = await this.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: this.name, version: '1' },
    });
    if (!r.result) throw new Error(`${this.name}: initialize: ${JSON.stringify(r)}`);
    this.socket.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    return r;
  }

  async call() {
    const r = await this.request('tools/call', { name: 'list_services', arguments: { bus: 'session' } });
    if (!r.result || r.result.isError)
      throw new Error(`${this.name}: tools/call: ${JSON.stringify(r).slice(0, 300)}`);
    return r;
  }

  close() {
    this.socket?.end();
  }
}

// ISSUE 18 WORKAROUND (scripts/system-test.sh): with ISSUE18_WORKAROUND=1 a client whose worker
// missed the supervisor's fixed boot deadline ("worker could not start") connects again, twice at
// most, and says so.
const retries = process.env.ISSUE18_WORKAROUND === '1' ? 2 : 0;

const clients = [];
for (let i = 1; i <= count; i++) {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const c = new Client(`client-${i}`);
    try {
      await c.connect();
      await c.initialize();
      await c.call();
      clients.push(c);
      break;
    } catch (err) {
      c.close();
      if (attempt < retries && err.message.includes('worker could not start')) {
        console.log(`client ${i} retried (issue 18: a worker missed its boot deadline)`);
        continue;
      }
      console.log(`client ${i} failed ${err.message}`);
      process.exit(1);
    }
  }
  console.log(`client ${i} ready ${Date.now() - started} ms`);
}
console.log(`all ${count} ready`);

const input = readline.createInterface({ input: process.stdin });
for await (const line of input) {
  if (line === 'call') {
    const results = await Promise.allSettled(clients.map((c) => c.call()));
    const failed = results.filter((r) => r.status === 'rejected');
    console.log(
      failed.length === 0
        ? `calls ok ${results.length}`
        : `calls failed ${failed.map((r) => r.reason.message).join('; ')}`,
    );
  } else if (line === 'extra') {
    const c = new Client('extra');
    try {
      await c.connect();
      const r = await c.request('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'extra', version: '1' },
      });
      console.log(
        r.error ? `extra refused ${r.error.message} ${JSON.stringify(r.error.data ?? {})}` : 'extra accepted',
      );
    } catch (err) {
      console.log(`extra failed ${err.message}`);
    }
    c.close();
  }
}
for (const c of clients) c.close();
