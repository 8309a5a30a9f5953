import net from 'node:net';
import { lstatSync } from 'node:fs';
import { z } from 'zod';
import type { CommandContext } from '../cli.js';
import { resolveSocketPath } from '../shared/config.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { bindUnixSocket, closeServer, removeIfSame } from './listener.js';

/**
 * `dbus-mcp status` and its channel: the supervisor listens on a control socket beside the main
 * one, `<socket>.ctl` (mode 0600, same owner-only rule). A connection gets one JSON document
 * (StatusDocument) followed by a newline, then the supervisor closes it; nothing is read.
 */

export const statusDocumentSchema = z.object({
  pid: z.number(),
  version: z.string(),
  startedAt: z.string(),
  uptimeMs: z.number(),
  safetyLevel: z.string(),
  socket: z.string(),
  activated: z.boolean(),
  maxClients: z.number(),
  clients: z.array(
    z.object({
      id: z.string(),
      workerPid: z.number().nullable(),
      workerRssBytes: z.number().nullable(),
      connectedSince: z.string(),
      requestsServed: z.number(),
      inFlight: z.number(),
      restarts: z.number(),
      state: z.string(),
    }),
  ),
  spareWorkers: z.array(z.object({ pid: z.number(), state: z.string(), since: z.string() })),
});
export type StatusDocument = z.infer<typeof statusDocumentSchema>;

export const controlPath = (socketPath: string): string => `${socketPath}.ctl`;

/** Serves the status document on `<socket>.ctl`; a stale control file of an earlier run is replaced. */
export async function startControlServer(
  socketPath: string,
  snapshot: () => StatusDocument,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  const path = controlPath(socketPath);
  const server = net.createServer((conn) => {
    conn.on('error', () => {});
    conn.end(`${JSON.stringify(snapshot())}\n`);
  });
  await bindUnixSocket(server, path);
  const ino = lstatSync(path).ino;
  log.debug({ control: path }, 'status channel listening');
  return {
    close: async () => {
      await closeServer(server);
      removeIfSame(path, ino);
    },
  };
}

async function fetchStatus(path: string): Promise<StatusDocument> {
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const conn = net.connect(path);
    conn.setTimeout(5000, () => conn.destroy(new Error('no answer within 5 s')));
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    conn.on('error', (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? 'no dbus-mcp server is running there; start it with `systemctl --user start dbus-mcp-standalone.socket` or `dbus-mcp serve`'
          : err.message;
      reject(new AppError('SOCKET_CONNECT_FAILED', `cannot reach ${path}: ${hint}`, { cause: err }));
    });
  });
  try {
    return statusDocumentSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new AppError('SOCKET_CONNECT_FAILED', `${path} did not answer with a status document`, { cause });
  }
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'],
    [s % 60, 's'],
  ] as const;
  const shown = parts.filter(([n], i) => n > 0 || i === parts.length - 1).map(([n, u]) => `${n}${u}`);
  return shown.slice(0, 2).join(' ');
}

export function formatStatus(doc: StatusDocument): string {
  const lines = [
    `dbus-mcp ${doc.version}: pid ${doc.pid}, up ${formatDuration(doc.uptimeMs)}, safety level ${doc.safetyLevel}`,
    `socket ${doc.socket}${doc.activated ? ' (from systemd)' : ''}, clients ${doc.clients.length}/${doc.maxClients}`,
  ];
  if (doc.clients.length > 0) {
    const rows = [
      ['CLIENT', 'WORKER PID', 'RSS', 'CONNECTED SINCE', 'REQUESTS', 'IN FLIGHT', 'RESTARTS', 'STATE'],
      ...doc.clients.map((c) => [
        c.id,
        c.workerPid === null ? '-' : String(c.workerPid),
        c.workerRssBytes === null ? '-' : `${Math.round(c.workerRssBytes / 1048576)} MiB`,
        c.connectedSince,
        String(c.requestsServed),
        String(c.inFlight),
        String(c.restarts),
        c.state,
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      lines.push(
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
  }
  const spares = doc.spareWorkers.map((w) => `${w.pid} (${w.state})`);
  lines.push(`spare workers: ${spares.length}${spares.length ? ` — ${spares.join(', ')}` : ''}`);
  return `${lines.join('\n')}\n`;
}

/** `dbus-mcp status [--json]`: reads the control socket of the running supervisor. */
export async function runStatus(ctx: CommandContext): Promise<number> {
  const unknown = ctx.args.filter((a) => a !== '--json');
  if (unknown.length > 0) throw new AppError('USAGE', `status: unknown argument ${unknown[0]}`);
  const doc = await fetchStatus(controlPath(resolveSocketPath(ctx.loaded.config, ctx.env)));
  process.stdout.write(ctx.args.includes('--json') ? `${JSON.stringify(doc, null, 2)}\n` : formatStatus(doc));
  return 0;
}
