// `dbus-mcp connect` start → first byte relayed, and its peak RSS, against a bare `node -e 0`
// measured in the same run (runs interleaved; medians). The target (issue 16): ≤ 1.2× a bare node
// start, RSS ≤ 1.2× bare node. Usage: node bench/connect-start.mjs [PROGRAM] [RUNS]
// (PROGRAM defaults to dist/dbus-mcp.mjs; RUNS to 15). Peak RSS comes from a --require hook that
// prints process.resourceUsage().maxRSS at exit, loaded into both processes alike.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const program = process.argv[2] ?? 'dist/dbus-mcp.mjs';
const runs = Number(process.argv[3] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-connect-start-'));
const report = join(dir, 'report.cjs');
writeFileSync(
  report,
  "process.on('exit', () => require('fs').writeSync(2, `\\nMAXRSS ${process.resourceUsage().maxRSS}\\n`));\n",
);
const sock = join(dir, 's.sock');
// Stands in for the server: a line on every connection, so the first byte relayed is measured.
const server = net.createServer((c) => {
  c.on('error', () => {});
  c.write('{"jsonrpc":"2.0","method":"hello"}\n');
  c.on('end', () => c.end());
});
await new Promise((resolve) => server.listen(sock, resolve));

const rssMiB = (stderr) => Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bare() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, ['--require', report, '-e', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr.on('data', (b) => (err += b));
    c.on('close', () => resolve({ ms: performance.now() - t0, rss: rssMiB(err) }));
  });
}

function connect() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first;
    const c = spawn(process.execPath, ['--require', report, program, 'connect'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, DBUS_MCP_SOCKET_PATH: sock, DBUS_MCP_CONFIG: '/dev/null' },
    });
    let err = '';
    c.stderr.on('data', (b) => (err += b));
    c.stdout.once('data', () => {
      first = performance.now() - t0;
      c.stdin.end();
    });
    c.on('close', () =>
      first === undefined
        ? reject(new Error(`connect relayed nothing: ${err}`))
        : resolve({ ms: first, rss: rssMiB(err) }),
    );
  });
}

const b = [];
const c = [];
for (let i = 0; i < runs; i++) {
  b.push(await bare());
  c.push(await connect());
}
server.close();
rmSync(dir, { recursive: true, force: true });
const row = {
  runs,
  bareStartMs: median(b.map((x) => x.ms)),
  connectFirstByteMs: median(c.map((x) => x.ms)),
  bareRssMiB: median(b.map((x) => x.rss)),
  connectRssMiB: median(c.map((x) => x.rss)),
};
console.log(
  `connect start → first byte: ${row.connectFirstByteMs.toFixed(1)} ms vs bare node ${row.bareStartMs.toFixed(1)} ms ` +
    `(${(row.connectFirstByteMs / row.bareStartMs).toFixed(2)}×); peak RSS ${row.connectRssMiB.toFixed(1)} vs ` +
    `${row.bareRssMiB.toFixed(1)} MiB (${(row.connectRssMiB / row.bareRssMiB).toFixed(2)}×); medians of ${runs} runs`,
);
