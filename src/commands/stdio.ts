import { randomUUID } from 'node:crypto';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createWorkerRuntime } from '../worker/runtime.js';
import type { CommandContext } from './context.js';

/**
 * `dbus-mcp stdio`: one client on stdin/stdout, no supervisor. Resolves when the client closes
 * stdin (or on SIGTERM/SIGINT), after the bus connections are closed.
 */
export async function runStdio(ctx: CommandContext): Promise<number> {
  const clientId = `stdio-${randomUUID().slice(0, 8)}`;
  const log = ctx.log.child({ clientId });
  const runtime = createWorkerRuntime({ config: ctx.loaded.config, log, clientId, env: ctx.env });
  log.info({ level: ctx.loaded.config.SAFETY_LEVEL }, 'serving on stdio');

  return new Promise<number>((resolve) => {
    let done = false;
    const finish = async () => {
      if (done) return;
      done = true;
      await handle.close().catch(() => undefined);
      await runtime.close().catch(() => undefined);
      log.info('stdio client gone');
      resolve(0);
    };
    const handle = serveStdio(runtime.factory, {
      onerror: (err) => log.warn({ err }, 'transport error'),
    });
    process.stdin.once('end', () => void finish());
    process.stdin.once('close', () => void finish());
    process.once('SIGTERM', () => void finish());
    process.once('SIGINT', () => void finish());
  });
}
