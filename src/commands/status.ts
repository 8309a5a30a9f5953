import net from 'node:net';
import { resolveSocketPath } from '../shared/config.js';
import { AppError } from '../shared/errors.js';
import type { StatusDocument } from '../shared/status.js';
import { controlPath, statusDocumentSchema } from '../shared/status.js';
import type { CommandContext } from './context.js';

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
  if (doc.state === 'refusing' && doc.error) {
    lines.push(`NOT SERVING: configuration error: ${doc.error.message}`, `  fix: ${doc.error.fix}`);
  } else if (doc.state === 'draining') lines.push('shutting down');
  for (const warning of doc.warnings) {
    if (doc.state === 'refusing' && doc.error && warning.includes(doc.error.message)) continue;
    lines.push(`warning: ${warning}`);
  }
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
  const suspended = doc.spares?.suspended ? ' (suspended: they did not boot)' : '';
  lines.push(`spare workers: ${spares.length}${spares.length ? ` — ${spares.join(', ')}` : ''}${suspended}`);
  if (doc.workerSnapshot) {
    const w = doc.workerSnapshot;
    lines.push(
      `worker snapshot: ${w.state}${w.file ? ` (${w.file})` : ''}${w.detail ? `: ${w.detail}` : ''}`,
    );
  }
  if (doc.startAnswers) {
    const how = { learnt: 'from a spare', stored: 'stored by an earlier run', none: 'none yet' };
    lines.push(`session openings answered by the supervisor: ${how[doc.startAnswers]}`);
  }
  if (doc.bootDeadline) {
    const d = doc.bootDeadline;
    lines.push(
      `boot deadline: ${formatDuration(d.stallMs)} without progress, ${formatDuration(d.totalMs)} in all` +
        (d.slowestBootMs === null ? '' : ` (slowest recent boot ${(d.slowestBootMs / 1000).toFixed(1)} s)`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `dbus-mcp status [--json]`: reads the control socket of the running supervisor. A broken
 * configuration does not stop it (the server may be up refusing clients because of it): the
 * fault is printed on stderr and the socket path is taken from what could be read.
 */
export async function runStatus(ctx: CommandContext): Promise<number> {
  const unknown = ctx.args.filter((a) => a !== '--json');
  if (unknown.length > 0) throw new AppError('USAGE', `status: unknown argument ${unknown[0]}`);
  if (ctx.configError) {
    process.stderr.write(`dbus-mcp status: configuration error: ${ctx.configError.message}\n`);
  }
  const doc = await fetchStatus(controlPath(resolveSocketPath(ctx.loaded.config, ctx.env)));
  process.stdout.write(ctx.args.includes('--json') ? `${JSON.stringify(doc, null, 2)}\n` : formatStatus(doc));
  return 0;
}
