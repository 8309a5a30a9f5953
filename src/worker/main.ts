import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { CommandContext } from '../cli.js';
import type { Config } from '../shared/config.js';
import { AppError, errorMessage } from '../shared/errors.js';
import type { Handlers, ToSupervisor, ToWorker } from '../shared/ipc.js';
import { dispatch, parseIpc, toWorkerSchema } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import { IpcServerTransport, TRANSPORT_TAGS, processEndpoint } from './ipc-transport.js';
import { createTestFaults } from './test-faults.js';
import { warmUp } from './warm-up.js';

/** How long a stopping worker may take to close its server and buses before it exits anyway. */
const EXIT_GRACE_MS = 2000;

type Control = Exclude<ToWorker, { t: 'mcp' | 'flow' }>;

/**
 * The forked worker (`dbus-mcp worker`). Boot order: program and SDK loaded → `{t:'booted'}` →
 * (a spare waits here) `{t:'attach'}` → runtime → MCP server on the IPC transport →
 * `{t:'ready'}`. Afterwards it answers heartbeats, applies `{t:'config'}`, reports policy state
 * changes, and exits 0 on `{t:'shutdown'}` or when the IPC channel goes away.
 */
export async function runWorker(ctx: CommandContext): Promise<number> {
  if (!process.send) {
    throw new AppError('USAGE', 'the worker is started by `dbus-mcp serve` over an IPC channel, not by hand');
  }
  const endpoint = processEndpoint();
  // Terminal signals sent to the whole process group (Ctrl-C, hang-up) are the supervisor's to
  // act on; it stops its workers itself. SIGTERM keeps its default: that is a stop step.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  const bootStart = performance.now();
  // Everything that does not depend on the client loads now, so a spare worker has paid for it.
  const [{ serveStdio }, { createWorkerRuntime }] = await Promise.all([
    import('@modelcontextprotocol/server/stdio'),
    import('./runtime.js'),
  ]);
  // A spare (`worker --spare`, forked ahead of its client) pays V8's lazy compilation of the session
  // path before `booted` (warm-up.ts, bench/README.md); a worker forked for a waiting client skips it.
  if (ctx.args.includes('--spare')) {
    await warmUp({ serveStdio, createWorkerRuntime, config: ctx.loaded.config, log: ctx.log });
    if (!process.connected) return 0; // the supervisor went away meanwhile
  }
  const send = (message: ToSupervisor): void => {
    endpoint.send(message, () => {});
  };

  return new Promise<number>((resolve) => {
    let log: Logger = ctx.log;
    let runtime: { updateConfig(config: Config): void; close(): Promise<void> } | undefined;
    let served: { close(): Promise<void> } | undefined;
    let transport: IpcServerTransport | undefined;
    let pendingConfig: Config | undefined;
    let attached = false;
    let stopping = false;

    const faults = createTestFaults(
      ctx.env,
      () => log,
      (message: JSONRPCMessage) => void transport?.send(message).catch(() => {}),
    );

    const stop = async (reason: string, code = 0): Promise<void> => {
      if (stopping || faults.ignoresShutdown()) return;
      stopping = true;
      log.info({ reason }, 'worker stopping');
      // Whatever still holds the event loop (a bus that will not close) must not keep us alive.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
      try {
        await served?.close();
        await runtime?.close();
      } catch (err) {
        log.warn({ err }, 'worker close failed');
      } finally {
        endpoint.off('message', onMessage);
        endpoint.off('disconnect', onDisconnect);
        if (process.connected) process.disconnect();
        resolve(code);
      }
    };

    const attach = async (msg: Extract<Control, { t: 'attach' }>): Promise<void> => {
      if (attached) {
        log.warn({ clientId: msg.clientId }, 'second attach ignored');
        return;
      }
      attached = true;
      const start = performance.now();
      log = ctx.log.child({ clientId: msg.clientId });
      try {
        const created = await createWorkerRuntime({
          config: pendingConfig ?? msg.config,
          log,
          clientId: msg.clientId,
          policyState: msg.policyState as Parameters<typeof createWorkerRuntime>[0]['policyState'],
          onPolicyStateChange: (state: unknown) => send({ t: 'policy-state', state }),
        });
        runtime = created;
        transport = new IpcServerTransport(endpoint, { intercept: (m) => faults.intercept(m) });
        served = serveStdio(created.factory, {
          transport,
          onerror: (err) => log.warn({ err }, 'mcp transport error'),
        });
        send({ t: 'ready' });
        created.connectAhead();
        log.info({ attachMs: Math.round(performance.now() - start) }, 'worker ready');
      } catch (err) {
        log.error({ err }, 'worker could not start');
        send({ t: 'start-failed', message: errorMessage(err) });
        await stop('start failed', 1);
      }
    };

    const handlers: Handlers<Control> = {
      attach: (msg) => void attach(msg),
      config: (msg) => {
        if (runtime) runtime.updateConfig(msg.config);
        else pendingConfig = msg.config;
        log.info('configuration updated');
      },
      ping: (msg) => {
        send({ t: 'pong', n: msg.n });
        const mem = process.memoryUsage();
        send({ t: 'stats', rssBytes: mem.rss, heapUsedBytes: mem.heapUsed });
      },
      shutdown: () => void stop('shutdown'),
    };

    const onMessage = (raw: unknown): void => {
      const tag = typeof raw === 'object' && raw !== null && 't' in raw ? raw.t : undefined;
      if (typeof tag === 'string' && TRANSPORT_TAGS.has(tag)) return;
      let msg: ToWorker;
      try {
        msg = parseIpc(toWorkerSchema, raw);
      } catch (err) {
        log.error({ err }, 'invalid IPC message');
        return;
      }
      dispatch(handlers, msg as Control);
    };
    const onDisconnect = (): void => void stop('supervisor disconnected');

    endpoint.on('message', onMessage);
    endpoint.on('disconnect', onDisconnect);
    send({ t: 'booted' });
    log.debug({ bootMs: Math.round(performance.now() - bootStart) }, 'worker booted');
  });
}
