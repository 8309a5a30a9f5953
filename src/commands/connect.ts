import net from 'node:net';
import { socketPathFromChain } from '../shared/config-text.js';
import { AppError } from '../shared/errors.js';
import type { Invocation } from './context.js';

const START_HINT =
  'start the service with `systemctl --user start dbus-mcp-standalone.socket` (or run `dbus-mcp serve`)';

/**
 * `dbus-mcp connect`: a stdio ↔ socket bridge, what `socat UNIX-CONNECT:… STDIO` does. End of
 * stdin half-closes the socket (the server still answers what is in flight); end of the socket
 * ends stdout and the command exits with the peer. stdin may be a pipe, a file or a socketpair.
 *
 * A thin entry: it reads SOCKET_PATH from the configuration chain and nothing else (no schemas,
 * no logger), so it starts about as fast as node itself. Other keys are the server's to check; a
 * server that cannot serve (a broken configuration under socket activation) tells the client why.
 */
export async function runConnect(inv: Invocation): Promise<number> {
  if (inv.args.length > 0) throw new AppError('USAGE', `connect: unknown argument ${inv.args[0]}`);
  const path = socketPathFromChain({ env: inv.env, flags: inv.flags, configFile: inv.configFile });
  const socket = net.connect({ path, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ENOENT'
          ? 'no such socket'
          : err.code === 'ECONNREFUSED'
            ? 'nobody listens'
            : err.message;
      reject(
        new AppError('SOCKET_CONNECT_FAILED', `cannot connect to ${path} (${why}); ${START_HINT}`, {
          cause: err,
        }),
      );
    });
  });

  const stdin = process.stdin;
  const stdout = process.stdout;
  return new Promise<number>((resolve) => {
    let code = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stdin.unpipe(socket);
      stdin.destroy();
      resolve(code);
    };
    stdin.on('error', () => socket.end());
    // pipe() ends the socket's write side when stdin ends: the half-close the server waits for.
    stdin.pipe(socket);
    socket.on('data', (chunk: Buffer) => {
      if (!stdout.write(chunk)) {
        socket.pause();
        stdout.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => {
      // The server is done: end stdout (a socketpair peer sees the half-close) and leave.
      stdout.end(finish);
    });
    socket.on('error', (err) => {
      process.stderr.write(`dbus-mcp connect: ${err.message}\n`);
      code = 1;
      finish();
    });
    socket.on('close', () => {
      if (!socket.readableEnded) finish();
    });
    stdout.on('error', () => {
      // The client went away; nobody is left to read answers.
      socket.destroy();
      finish();
    });
  });
}
