import { runWorker } from '../worker/main.js';
import type { CommandContext } from './context.js';

/** `dbus-mcp worker`: the process the supervisor forks per client (src/worker/main.ts). */
export function runWorkerCommand(ctx: CommandContext): Promise<number> {
  return runWorker(ctx);
}
