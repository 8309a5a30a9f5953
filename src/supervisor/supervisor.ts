// Over 300 lines: the composition of the service — listener, sessions, spare pool, snapshots, rate buckets, reload, drain.
import { TokenBuckets, serviceLimits } from '../shared/rate-buckets.js';
import type { Socket } from 'node:net';
import type { Config } from '../shared/config.js';
import type { AppError } from '../shared/errors.js';
import { errorData, isAppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { StatusDocument, WorkerSnapshotStatus } from '../shared/status.js';
import { BootDeadline } from './boot-deadline.js';
import { BootSlots } from './boot-slots.js';
import { ClientSession } from './client-session.js';
import { explainSlowBoot } from './cpu-quota.js';
import { SERVER_BUSY, errorResponse } from './framing.js';
import type { Listener } from './listener.js';
import type { StartFault } from './refusal.js';
import { CONFIG_FIX, faultMessage, refuseConnection } from './refusal.js';
import type { SpareKind } from './spare-pool.js';
import { SparePool } from './spare-pool.js';
import type { AnswersStore } from './start-answers-file.js';
import { StartAnswersCache } from './start-answers.js';
import type { BootBudget, BootDeadlineMissed, WorkerExitedEarly, WorkerLike } from './worker.js';
import { EXIT_SNAPSHOT_UNUSABLE } from './worker.js';
import { STOP_STEP_MS } from './worker-handle.js';

/** Draining: sessions and workers get this long in total before whatever is left is abandoned. */
export const DRAIN_DEADLINE_MS = 3 * STOP_STEP_MS + 1000;

export interface SupervisorDeps {
  /** The configuration at start (validated, rules included), or what could be read of it when `startError` is set. */
  config: Config;
  /**
   * Set when the configuration (or a rule file) is broken and the process stays up anyway
   * (socket activation): the supervisor refuses every client with it until a reload succeeds.
   */
  startError?: AppError;
  listener: Listener;
  log: Logger;
  version: string;
  startedAt?: number;
  /** From this process's start to listening, ms: what the boot deadline learns the machine from. */
  supervisorStartupMs?: number;
  /**
   * The configuration chain read again (SIGHUP), with everything a worker will load checked
   * (rule files): throws AppError when it is not usable.
   */
  reloadConfig: () => Config;
  /**
   * A new worker, its process forked now — or, with `start: false`, once the supervisor calls
   * `start()` (state `created` until then). A spare warms up before it reports `booted`. With
   * `snapshotBlob` it starts from that worker snapshot.
   */
  forkWorker: (
    config: Config,
    options: { spare: boolean; boot: BootBudget; snapshotBlob?: string; start?: boolean },
  ) => WorkerLike;
  /** How many workers clients wait for may boot at once (boot-slots.ts); default: no bound. */
  bootSlots?: number;
  /** Worker snapshots (worker-snapshot.ts): what workers that must be quick start from. */
  snapshots?: SnapshotSource;
  /** Start answers of earlier runs (start-answers-file.ts): the first clients need no worker to open. */
  answersStore?: AnswersStore;
}

/** The part of WorkerSnapshots the supervisor uses (tests pass fakes). */
export interface SnapshotSource {
  /** The blob for workers of this configuration, when one is ready. */
  blobFor(config: Config): string | undefined;
  /** Builds the blob for this configuration if there is none (in the background; idempotent). */
  build(config: Config): void;
  /** Gives up a build in progress for now (many clients connected); a later `build` starts again. */
  pause(): void;
  /** A worker forked from `blob` ended before its first boot stage. */
  failed(blob: string, reason: string): void;
  describe(config: Config): WorkerSnapshotStatus;
  stop(): void;
}

/**
 * Why a worker is forked: `lean` and `fast` spares (spare-pool.ts), or `client` — one a client is
 * waiting for. Fast spares and client workers start from the worker snapshot when there is one.
 */
type ForkKind = SpareKind | 'client';

export interface Supervisor {
  /** Forks the spare workers (unless refusing); call once the process is ready to serve. */
  start(): void;
  /** A new client connection (the listener's 'connection' event). */
  accept(socket: Socket): void;
  /**
   * SIGHUP: new workers get the reloaded configuration, live ones are told; a bad one is kept out
   * (a refusing supervisor starts serving once it is good).
   */
  reload(): void;
  /**
   * Stops accepting first (the listener closes before anything else, so no connection is taken
   * that will not be served; under socket activation new ones wait in the kernel's queue for the
   * next process), then closes every session and stops every worker in parallel, within
   * DRAIN_DEADLINE_MS. Idempotent.
   */
  drain(reason: string): Promise<void>;
  status(): StatusDocument;
}

type Phase =
  { name: 'serving' } | { name: 'refusing'; fault: StartFault } | { name: 'draining'; done: Promise<void> };

/** The supervisor's behaviour, without the process around it (signals, exit): see commands/serve.ts. */
export function createSupervisor(deps: SupervisorDeps): Supervisor {
  const { log, listener } = deps;
  const startedAt = deps.startedAt ?? Date.now();
  const sessions = new Map<string, ClientSession>();
  let config = deps.config;
  // All clients of this serve together: reconnecting, a crashed worker or SIGHUP never refill it.
  const serviceBuckets = new TokenBuckets(serviceLimits(config));
  let seq = 0;
  // What a session opens with (`server/discover`, `initialize`, `tools/list`), from a spare (or
  // the store, from an earlier run), for the configuration in force.
  const startAnswers = new StartAnswersCache(
    config,
    log.child({ component: 'start-answers' }),
    deps.answersStore,
  );
  let phase: Phase = deps.startError
    ? { name: 'refusing', fault: { error: deps.startError, fix: CONFIG_FIX } }
    : { name: 'serving' };
  const bootDeadline = new BootDeadline({
    floorMs: config.WORKER_BOOT_TIMEOUT_MIN_MS,
    ceilingMs: config.WORKER_BOOT_TIMEOUT_MAX_MS,
    supervisorStartupMs: deps.supervisorStartupMs ?? process.uptime() * 1000,
  });
  const explainStartFailure = () => explainSlowBoot(bootDeadline.budget());
  /** Workers that clients wait for and that have not booted yet: refills and snapshot builds wait. */
  const awaited = new Set<WorkerLike>();
  let spareBooting = 0;
  const bootSlots = new BootSlots(deps.bootSlots ?? Number.POSITIVE_INFINITY);
  /**
   * A snapshot build holds ~100 MB while it runs: only while few clients are connected, so it never
   * meets MAX_CLIENTS workers under the unit's MemoryHigh (the VM saw 450 MiB against 448M).
   */
  const fewClients = (): boolean => sessions.size < config.MAX_CLIENTS / 4;
  /** Nothing is booting: the moment for work nobody waits for (a worker snapshot build). */
  const whenQuiet = (): void => {
    if (awaited.size === 0 && spareBooting === 0 && phase.name === 'serving' && fewClients())
      deps.snapshots?.build(config);
  };

  /**
   * The worker snapshot, for workers that must be quick, while fewer than MAX_CLIENTS / 8 workers
   * from it are alive (one at least): each holds 9–12 MiB more for its life (bench/README.md,
   * "Start-up"). In the VM's unit 16 clients' workers took memory.current to 377 MiB with none of
   * them from it, 423 MiB with 4, and over MemoryHigh=448M with up to 8; the others load the program.
   */
  const quickBlob = (): string | undefined =>
    liveSnapshotWorkers() < config.MAX_CLIENTS / 8 ? deps.snapshots?.blobFor(config) : undefined;
  /** Workers forked from the snapshot; `liveSnapshotWorkers` forgets the ones that exited. */
  const snapshotWorkers = new Set<WorkerLike>();
  const liveSnapshotWorkers = (): number => {
    for (const worker of snapshotWorkers) if (worker.state === 'exited') snapshotWorkers.delete(worker);
    return snapshotWorkers.size;
  };
  /**
   * Sessions that have a worker (or are getting one): a session whose opening the supervisor
   * answers forks after its first message, so clients arriving together are counted as their
   * workers come, as when every session forked on connecting.
   */
  const withWorkers = (): number => {
    let n = 0;
    for (const session of sessions.values()) if (session.hasWorker) n++;
    return n;
  };

  const fork = (kind: ForkKind): WorkerLike => {
    const boot = bootDeadline.budget();
    const spare = kind !== 'client';
    const snapshotBlob = kind === 'lean' ? undefined : quickBlob();
    const worker = deps.forkWorker(config, {
      spare,
      boot,
      ...(snapshotBlob ? { snapshotBlob } : {}),
      // A client's worker boots in its turn: a burst of them would share the CPUs and all be late.
      ...(spare ? {} : { start: false }),
    });
    if (snapshotBlob) snapshotWorkers.add(worker);
    if (spare) spareBooting++;
    else bootSlots.start(worker);
    worker
      .whenBooted()
      .then(
        () => {
          bootDeadline.recordBoot(Date.now() - worker.startedAt);
          if (spare) startAnswers.learn(worker, config);
          // This machine can boot workers after all: spares that gave up may try again.
          if (!spare) pool.resume();
        },
        (err: unknown) => {
          const missed = isAppError(err) ? (err.details as BootDeadlineMissed | undefined) : undefined;
          if (missed?.cause === 'boot-deadline' && missed.deadline === 'no-progress') {
            bootDeadline.recordStall(boot.stallMs);
            log.warn({ stallMs: bootDeadline.stallMs() }, 'boot deadline raised');
          }
          // Node refuses a snapshot it cannot use before any code of ours runs: with its own exit
          // code (another node, other flags, no file), or it aborts (a damaged file).
          const exited = isAppError(err) ? (err.details as WorkerExitedEarly | undefined) : undefined;
          const refused =
            exited?.cause === 'exited' &&
            exited.stage === 'forked' &&
            (exited.code === EXIT_SNAPSHOT_UNUSABLE || exited.signal === 'SIGABRT');
          if (snapshotBlob && refused) {
            deps.snapshots?.failed(snapshotBlob, err instanceof Error ? err.message : String(err));
          }
        },
      )
      .finally(() => {
        if (spare) spareBooting--;
        whenQuiet();
      });
    return worker;
  };

  /** A worker for a client: a booted spare, else a new one; until it booted, refills wait. */
  const acquireWorker = (): WorkerLike => {
    const worker = pool.take() ?? fork('client');
    if (worker.state === 'booting' || worker.state === 'created') {
      awaited.add(worker);
      void worker
        .whenBooted()
        .catch(() => {})
        .finally(() => {
          awaited.delete(worker);
          if (phase.name === 'serving') pool.fill();
          whenQuiet();
        });
    }
    return worker;
  };

  const pool = new SparePool({
    size: () => config.SPARE_WORKERS,
    // A spare no client could take (MAX_CLIENTS connected) is memory for nothing.
    capacity: () => config.MAX_CLIENTS - sessions.size,
    // Burst extras only while fewer than half of MAX_CLIENTS clients have workers: near it every
    // worker process (and each boot's peak) counts against the unit's MemoryHigh.
    burstRoom: () => Math.floor(config.MAX_CLIENTS / 2) - withWorkers(),
    fork: (kind) => fork(kind),
    log: log.child({ component: 'spares' }),
    explainFailure: explainStartFailure,
    // A snapshot fork beats a lean spare (loading the program), and a fast one when it need not
    // wait for a boot slot.
    freshForkIsFaster: (kind) => (kind === 'lean' || bootSlots.free()) && quickBlob() !== undefined,
    clientsWaiting: () => awaited.size > 0,
  });

  const refuseBusy = (socket: Socket): void => {
    log.warn({ maxClients: config.MAX_CLIENTS }, 'client refused: MAX_CLIENTS reached');
    const message = `server busy: MAX_CLIENTS (${config.MAX_CLIENTS}) clients are already connected; try again later`;
    const data = errorData('MAX_CLIENTS', { maxClients: config.MAX_CLIENTS });
    socket.end(`${JSON.stringify(errorResponse(null, SERVER_BUSY, message, data))}\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const accept = (socket: Socket): void => {
    socket.on('error', () => {});
    switch (phase.name) {
      case 'draining':
        // Not reached while the listener is closed first; kept so a late event cannot start a session.
        socket.destroy();
        return;
      case 'refusing':
        refuseConnection(socket, phase.fault, config.MAX_MESSAGE_BYTES, log);
        return;
      case 'serving':
        break;
    }
    if (sessions.size >= config.MAX_CLIENTS) {
      refuseBusy(socket);
      return;
    }
    const id = `c${++seq}`;
    const session = new ClientSession({
      id,
      socket,
      config: () => config,
      log,
      acquireWorker,
      onClosed: (s) => {
        sessions.delete(s.id);
        if (phase.name === 'serving') pool.fill();
      },
      takeServiceToken: (bucket) => serviceBuckets.take(bucket),
      explainStartFailure,
      startAnswers,
    });
    sessions.set(id, session);
    if (!fewClients()) deps.snapshots?.pause();
    session.start();
  };

  const reload = (): void => {
    if (phase.name === 'draining') return;
    let next: Config;
    try {
      next = deps.reloadConfig();
    } catch (err) {
      if (phase.name === 'refusing' && isAppError(err)) {
        phase = { name: 'refusing', fault: { error: err, fix: CONFIG_FIX } };
        log.error({ err }, 'configuration still broken; refusing clients');
        return;
      }
      log.error({ err }, 'configuration reload failed; keeping the running configuration');
      return;
    }
    const wasRefusing = phase.name === 'refusing';
    config = next;
    startAnswers.setConfig(next);
    startAnswers.learn(pool.idle(), next);
    serviceBuckets.setLimits(serviceLimits(next));
    phase = { name: 'serving' };
    log.level = next.LOG_LEVEL;
    bootDeadline.setLimits(next.WORKER_BOOT_TIMEOUT_MIN_MS, next.WORKER_BOOT_TIMEOUT_MAX_MS);
    for (const session of sessions.values()) session.pushConfig(next);
    pool.resume();
    pool.fill();
    whenQuiet();
    log.info(
      { safetyLevel: next.SAFETY_LEVEL, clients: sessions.size },
      wasRefusing ? 'configuration fixed; serving' : 'configuration reloaded',
    );
  };

  const drain = (reason: string): Promise<void> => {
    if (phase.name === 'draining') return phase.done;
    // Stop accepting before anything else happens: from here on connections wait in the kernel
    // queue (socket activation: for the next process) instead of being taken and dropped.
    const closingListener = listener.close();
    const done = (async () => {
      log.info({ reason, clients: sessions.size }, 'draining');
      const started = Date.now();
      const closing = [
        closingListener,
        pool.stop(),
        Promise.resolve(deps.snapshots?.stop()),
        ...[...sessions.values()].map((s) =>
          s.close('server shutting down', { failInFlight: 'server is shutting down' }),
        ),
      ];
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((r) => {
        timer = setTimeout(r, DRAIN_DEADLINE_MS);
        timer.unref();
      });
      await Promise.race([Promise.allSettled(closing), deadline]);
      clearTimeout(timer);
      log.info({ durationMs: Date.now() - started, left: sessions.size }, 'stopped');
    })();
    phase = { name: 'draining', done };
    return done;
  };

  const status = (): StatusDocument => {
    const spares = pool.health();
    const warnings: string[] = [];
    let error: StatusDocument['error'];
    if (phase.name === 'refusing') {
      const { fault } = phase;
      error = { code: fault.error.code, message: fault.error.message, fix: fault.fix };
      warnings.push(faultMessage(fault));
    }
    if (spares.warning) warnings.push(spares.warning);
    return {
      pid: process.pid,
      version: deps.version,
      startedAt: new Date(startedAt).toISOString(),
      uptimeMs: Date.now() - startedAt,
      safetyLevel: config.SAFETY_LEVEL,
      socket: listener.path,
      activated: listener.activated,
      maxClients: config.MAX_CLIENTS,
      clients: [...sessions.values()].map((s) => s.status()),
      spareWorkers: pool.list(),
      state: phase.name,
      ...(error ? { error } : {}),
      warnings,
      bootDeadline: bootDeadline.describe(),
      spares: { failures: spares.failures, suspended: spares.suspended, target: spares.target },
      ...(deps.snapshots ? { workerSnapshot: deps.snapshots.describe(config) } : {}),
      startAnswers: startAnswers.source,
    };
  };

  const start = (): void => {
    if (phase.name === 'refusing') {
      log.error(
        { err: phase.fault.error, fix: phase.fault.fix },
        'configuration error; refusing clients until it is fixed',
      );
      return;
    }
    // After the next poll of the listener: a connection already queued (socket activation: the
    // one that started us) is accepted first, and its worker does not share the CPU with a spare.
    setImmediate(() => {
      if (phase.name !== 'serving') return;
      pool.fill();
      whenQuiet();
    });
  };

  return { start, accept, reload, drain, status };
}
