import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { CommandContext } from '../commands/context.js';
import type { Config } from '../shared/config.js';
import { AppError, isAppError } from '../shared/errors.js';
import { IdleCompaction } from '../shared/idle-compaction.js';
import type { Handlers, ToWorker, ToSupervisorWire } from '../shared/ipc.js';
import { dispatch, parseIpc, toWorkerSchema } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import { IpcServerTransport, TRANSPORT_TAGS, processEndpoint } from './ipc-transport.js';
import { SupervisorRate } from './service-rate.js';
import { startAnswers } from './start-answers.js';
import { createTestFaults } from './test-faults.js';
import { warmUp } from './warm-up.js';

/** How long a stopping worker may take to close its server and buses before it exits anyway. */
const EXIT_GRACE_MS = 2000;

type Control = Exclude<ToWorker, { t: 'mcp' | 'flow' }>;

/**
 * The worker process's one state. `booted`: loaded, waiting for its client. `attaching`: building
 * the runtime for the client (a reloaded configuration that arrives meanwhile waits in
 * `pendingConfig`). `serving`: the MCP server runs on the IPC transport. `stopping`: closing.
 */
type Phase =
  | { name: 'booted' }
  | { name: 'attaching'; log: Logger; pendingConfig?: Config }
  | {
      name: 'serving';
      log: Logger;
      runtime: { updateConfig(config: Config): void; close(): Promise<void> };
      served: { close(): Promise<void> };
      transport: IpcServerTransport;
    }
  | { name: 'stopping' };

/**
 * TEST-ONLY (with TEST_DBUS_MCP_FAULTS=1, like worker/test-faults.ts): TEST_DBUS_MCP_BOOT_DELAY_MS
 * holds the boot that long before `booted`, as a slow machine would; with
 * TEST_DBUS_MCP_BOOT_PROGRESS=1 it reports progress every 250 ms meanwhile, else it stays silent
 * (a worker that looks hung).
 */
async function testBootDelay(env: NodeJS.ProcessEnv, progress: (stage: string) => void): Promise<void> {
  const ms = Number(env.TEST_DBUS_MCP_BOOT_DELAY_MS);
  if (env.TEST_DBUS_MCP_FAULTS !== '1' || !(ms > 0)) return;
  const ticker =
    env.TEST_DBUS_MCP_BOOT_PROGRESS === '1' ? setInterval(() => progress('test-delay'), 250) : undefined;
  await new Promise((resolve) => setTimeout(resolve, ms));
  clearInterval(ticker);
}

/**
 * TEST-ONLY (with TEST_DBUS_MCP_FAULTS=1): TEST_DBUS_MCP_ATTACH_DELAY_MS holds every attach that
 * long, so a client's worker is not ready while spares still boot at their own pace.
 */
async function testAttachDelay(env: NodeJS.ProcessEnv): Promise<void> {
  const ms = Number(env.TEST_DBUS_MCP_ATTACH_DELAY_MS);
  if (env.TEST_DBUS_MCP_FAULTS === '1' && ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The forked worker (`dbus-mcp worker`). Boot order: program loaded → `{t:'boot-progress'}` at
 * each stage → (a spare warms up) → `{t:'booted'}` → (a spare waits here) `{t:'attach'}` →
 * runtime → MCP server on the IPC transport → `{t:'ready'}`. Afterwards it answers heartbeats,
 * applies `{t:'config'}`, reports policy state changes, and exits 0 on `{t:'shutdown'}` or when
 * the IPC channel goes away. A failed attach reports `{t:'start-failed', code}` and exits 1.
 */
export async function runWorker(ctx: CommandContext): Promise<number> {
  if (!process.send) {
    throw new AppError('USAGE', 'the worker is started by `dbus-mcp serve` over an IPC channel, not by hand');
  }
  const endpoint = processEndpoint();
  const send = (message: ToSupervisorWire): void => {
    endpoint.send(message, () => {});
  };
  const progress = (stage: string) => send({ t: 'boot-progress', stage });
  const serviceRate = new SupervisorRate(send);
  progress('started');
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
  progress('modules-loaded');
  await testBootDelay(ctx.env, progress);
  // A spare (`worker --spare`, forked ahead of its client) pays V8's lazy compilation of the session
  // path before `booted` (warm-up.ts, bench/README.md); a worker forked for a waiting client skips it.
  if (ctx.args.includes('--spare')) {
    progress('warm-up');
    await warmUp({ serveStdio, createWorkerRuntime, config: ctx.loaded.config, log: ctx.log });
    if (!process.connected) return 0; // the supervisor went away meanwhile
  }

  // The warm-up's throwaway sessions, and later each pause of the client, leave garbage behind.
  const idle = new IdleCompaction();
  idle.activity();

  return new Promise<number>((resolve) => {
    let phase: Phase = { name: 'booted' };
    const logOf = (p: Phase): Logger => ('log' in p ? p.log : ctx.log);
    const isCurrent = (p: Phase): boolean => phase === p;

    const faults = createTestFaults(
      ctx.env,
      () => logOf(phase),
      (message: JSONRPCMessage) => {
        if (phase.name === 'serving') phase.transport.send(message).catch(() => {});
      },
    );

    const stop = async (reason: string, code = 0): Promise<void> => {
      if (phase.name === 'stopping' || faults.ignoresShutdown()) return;
      const was = phase;
      phase = { name: 'stopping' };
      idle.stop();
      const log = logOf(was);
      log.info({ reason }, 'worker stopping');
      // Whatever still holds the event loop (a bus that will not close) must not keep us alive.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
      try {
        if (was.name === 'serving') {
          await was.served.close();
          await was.runtime.close();
        }
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
      if (phase.name !== 'booted') {
        logOf(phase).warn({ clientId: msg.clientId, phase: phase.name }, 'attach ignored');
        return;
      }
      const attaching: Extract<Phase, { name: 'attaching' }> = {
        name: 'attaching',
        log: ctx.log.child({ clientId: msg.clientId }),
      };
      phase = attaching;
      const { log } = attaching;
      const start = performance.now();
      try {
        await testAttachDelay(ctx.env);
        // Awaited: the runtime may come to build asynchronously, and a stop or a config can arrive meanwhile.
        const runtime = await createWorkerRuntime({
          config: attaching.pendingConfig ?? msg.config,
          log,
          clientId: msg.clientId,
          ...(msg.policyState ? { policyState: msg.policyState } : {}),
          onPolicyStateChange: (state) => send({ t: 'policy-state', state }),
          serviceRate: serviceRate.rate,
        });
        const transport = new IpcServerTransport(endpoint, { intercept: (m) => faults.intercept(m) });
        const served = serveStdio(runtime.factory, {
          transport,
          onerror: (err) => log.warn({ err }, 'mcp transport error'),
        });
        if (!isCurrent(attaching)) {
          // Stopped while attaching: nothing may serve now.
          await served.close().catch(() => {});
          await runtime.close().catch(() => {});
          return;
        }
        if (attaching.pendingConfig) runtime.updateConfig(attaching.pendingConfig);
        phase = { name: 'serving', log, runtime, served, transport };
        send({ t: 'ready' });
        runtime.connectAhead();
        log.info({ attachMs: Math.round(performance.now() - start) }, 'worker ready');
      } catch (err) {
        log.error({ err }, 'worker could not start');
        send({
          t: 'start-failed',
          code: isAppError(err) ? err.code : 'INTERNAL',
          message: err instanceof Error ? err.message : String(err),
        });
        await stop('start failed', 1);
      }
    };

    const handlers: Handlers<Control> = {
      attach: (msg) => void attach(msg),
      config: (msg) => {
        if (phase.name === 'serving') phase.runtime.updateConfig(msg.config);
        else if (phase.name === 'attaching') phase.pendingConfig = msg.config;
        else return;
        logOf(phase).info('configuration updated');
      },
      ping: (msg) => {
        send({ t: 'pong', n: msg.n });
        const mem = process.memoryUsage();
        send({ t: 'stats', rssBytes: mem.rss, heapUsedBytes: mem.heapUsed });
      },
      shutdown: () => void stop('shutdown'),
      'rate-answer': (msg) => serviceRate.answer(msg),
      'start-answers': (msg) => {
        if (phase.name === 'stopping') return;
        startAnswers({ serveStdio, createWorkerRuntime, config: msg.config, log: logOf(phase) }).then(
          (answers) => send({ t: 'start-answers-reply', id: msg.id, answers }),
          (err: unknown) =>
            send({
              t: 'start-answers-reply',
              id: msg.id,
              error: err instanceof Error ? err.message : String(err),
            }),
        );
      },
    };

    const onMessage = (raw: unknown): void => {
      const tag = typeof raw === 'object' && raw !== null && 't' in raw ? raw.t : undefined;
      if (tag === 'mcp') idle.activity();
      if (typeof tag === 'string' && TRANSPORT_TAGS.has(tag)) return;
      let msg: ToWorker;
      try {
        msg = parseIpc(toWorkerSchema, raw);
      } catch (err) {
        logOf(phase).error({ err }, 'invalid IPC message');
        return;
      }
      if (msg.t === 'mcp' || msg.t === 'flow') return;
      dispatch(handlers, msg);
    };
    const onDisconnect = (): void => void stop('supervisor disconnected');

    endpoint.on('message', onMessage);
    endpoint.on('disconnect', onDisconnect);
    send({ t: 'booted' });
    ctx.log.debug({ bootMs: Math.round(performance.now() - bootStart) }, 'worker booted');
  });
}
