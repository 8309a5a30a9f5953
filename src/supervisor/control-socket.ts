import { lstatSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from '../shared/logger.js';
import type { StatusDocument } from '../shared/status.js';
import { controlPath } from '../shared/status.js';
import { bindUnixSocket, closeServer, removeIfSame } from './listener.js';

/**
 * The status channel: a control socket beside the main one, `<socket>.ctl` (mode 0600, same
 * owner-only rule). A connection gets one JSON document (StatusDocument) followed by a newline,
 * then the supervisor closes it; nothing is read. A stale control file of an earlier run is
 * replaced.
 */
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
