/**
 * The worker as a V8 startup snapshot. scripts/build.mjs bundles this file (with everything it
 * imports, CommonJS, no chunks) to lib/dbus-mcp/worker-snapshot.cjs; the supervisor builds the
 * snapshot from it with the workers' own V8 flags (`node FLAGS --snapshot-blob FILE
 * --build-snapshot worker-snapshot.cjs`, src/supervisor/worker-snapshot.ts) and forks a worker
 * that a client is waiting for with `--snapshot-blob FILE`: node then starts with every module of
 * the worker loaded and its session path compiled, instead of loading and compiling ~1 MB of
 * JavaScript and building the SDK's schemas (bench/README.md, "Cold workers").
 *
 * While the snapshot is built this file loads the worker's modules and runs the in-memory warm-up
 * without a bus (worker/warm-up.ts); what the heap holds afterwards is what every worker started
 * from the snapshot begins with, so nothing here may be specific to one process: no handles
 * (everything the warm-up opens is closed again), no pending timers (see the end of `build`), no
 * configuration or environment (a worker reads both when it starts), and no entropy —
 * `crypto.randomUUID()` keeps a buffer of random bytes that would be copied into every worker, so
 * calling it during the build fails the build.
 *
 * When a worker starts from the snapshot, the function given to `setDeserializeMainFunction`
 * runs the command line as `dbus-mcp worker` would (src/cli/run.ts): the same code from there on.
 */
import crypto from 'node:crypto';
import v8 from 'node:v8';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { runCli } from '../cli/run.js';
import { configToText, loadConfig } from '../shared/config.js';
import { parseIpc, toWorkerSchema } from '../shared/ipc.js';
import { createLogger } from '../shared/logger.js';
import { createWorkerRuntime } from '../worker/runtime.js';
import { warmUp } from '../worker/warm-up.js';
// Loaded now, so the snapshot holds them: the command module the worker runs, and its context.
import './context.js';
import './worker.js';

/** The only command a worker snapshot runs. */
const COMMAND = 'worker';

async function build(): Promise<void> {
  const original = crypto.randomUUID;
  let uuidCalls = 0;
  const counted = ((options?: crypto.RandomUUIDOptions) => {
    uuidCalls++;
    return original(options);
  }) as typeof crypto.randomUUID;
  // Both doors to the same cache: node:crypto's and Web Crypto's (which the SDK uses).
  crypto.randomUUID = counted;
  Object.defineProperty(crypto.webcrypto, 'randomUUID', {
    value: counted,
    configurable: true,
    writable: true,
  });
  try {
    // Built-in defaults and no rule files: the snapshot is the same for every user and machine.
    const config = { ...loadConfig({ env: {}, configFile: '/dev/null' }).config, POLICY_DIRS: '' };
    const log = createLogger({ level: 'silent', name: 'worker-snapshot', env: {}, write: () => {} });
    // The IPC messages a worker parses first (zod compiles a parser for each shape on first use).
    for (const message of [
      { t: 'attach', clientId: 'c0', config: configToText(config) },
      {
        t: 'mcp',
        msg: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } },
      },
      { t: 'mcp', msg: { jsonrpc: '2.0', method: 'notifications/initialized' } },
      { t: 'ping', n: 1 },
      { t: 'flow', paused: false },
    ]) {
      parseIpc(toWorkerSchema, message);
    }
    await warmUp({ serveStdio, createWorkerRuntime, config, log, env: {} }, { busRead: false });
    // Node keeps the expiry of the earliest timer it scheduled in JavaScript state that the
    // snapshot copies: left at a cleared timer of the warm-up (its 5 s deadline), a worker would not
    // arm the event loop's timer for anything due later — no call timeout, no boot delay — until a
    // sooner one ran. A timer that fires here resets it (test/integration/worker-snapshot.test.ts).
    await new Promise((resolve) => setTimeout(resolve, 1));
  } finally {
    crypto.randomUUID = original;
    delete (crypto.webcrypto as { randomUUID?: unknown }).randomUUID;
  }
  if (uuidCalls > 0) {
    throw new Error(
      `crypto.randomUUID() was called ${uuidCalls} time(s) while the worker snapshot was built; its entropy cache would be shared by every worker`,
    );
  }
}

if (v8.startupSnapshot.isBuildingSnapshot()) {
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    const argv = process.argv.slice(2);
    if (argv[0] !== COMMAND) {
      process.stderr.write(`dbus-mcp: the worker snapshot runs \`dbus-mcp ${COMMAND}\` only\n`);
      process.exitCode = 64;
      return;
    }
    runCli(argv).then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => {
        process.stderr.write(`dbus-mcp: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      },
    );
  });
  build().catch((e: unknown) => {
    process.stderr.write(
      `dbus-mcp: worker snapshot not built: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  });
} else {
  process.stderr.write(
    'dbus-mcp: worker-snapshot.cjs is built into a snapshot (node --build-snapshot), not run\n',
  );
  process.exitCode = 64;
}
