import type { Duplex } from 'node:stream';
import dbus, { Message, MessageFlag, MessageType } from 'dbus-next';
import type { MessageBus } from 'dbus-next';
import { AppError, DBusCallError, errorMessage } from '../../shared/errors.js';
import type { AbortWatch } from './scheduler.js';
import type { BusKind, CallOptions, CallReply, CallRequest } from './types.js';
import { DBUS_ERRORS, PEER } from './well-known.js';
import { encodeMethodCall } from './wire.js';

/**
 * One dbus-next MessageBus and the calls pending on it: the low-level half of connection.ts.
 * A link is never reused after it drops; BusConnection opens a new one.
 */

/** dbus-next internals we rely on (checked against lib/bus.js and lib/connection.js). */
interface BusInternals {
  _connection: { stream: Duplex };
  _methodReturnHandlers: Record<number, (reply: Message) => void>;
  /** The next serial; dbus-next's own messages (Hello, AddMatch) take theirs from it too. */
  _serial: number;
  name: string | null;
}

export interface Link {
  readonly kind: BusKind;
  readonly address: string;
  bus: MessageBus | undefined;
  stream: Duplex | undefined;
  /** Resolves once Hello was answered and `onConnected` has run; rejects with DBUS_CONNECT_FAILED. */
  ready: Promise<void>;
  unique: string;
  connected: boolean;
  dead: boolean;
  /** Pending calls: each rejects itself with DBUS_DISCONNECTED when called. */
  readonly pending: Set<(reason: string) => void>;
  /** Match rules AddMatch'ed on this link (kept by BusConnection). */
  readonly installed: Set<string>;
  readonly onDropped: (link: Link, reason: string) => void;
}

export interface LinkHooks {
  onMessage(link: Link, msg: Message): void;
  /** Runs after Hello, before `ready` resolves (re-adding match rules). Must not reject. */
  onConnected(link: Link): Promise<void>;
  /** Called once when the link dies: closed by us, by the bus, or failing to connect. */
  onDropped(link: Link, reason: string): void;
}

/** Drops `guid=` from every address entry: a restarted daemon on the same path has a new guid. */
export function stripGuid(address: string): string {
  return address
    .split(';')
    .filter((a) => a !== '')
    .map((a) => {
      const colon = a.indexOf(':');
      if (colon < 0) return a;
      const params = a
        .slice(colon + 1)
        .split(',')
        .filter((p) => !p.startsWith('guid='));
      return `${a.slice(0, colon)}:${params.join(',')}`;
    })
    .join(';');
}

export function describeCall(req: CallRequest): string {
  return `${req.destination} ${req.path} ${req.interface ? `${req.interface}.` : ''}${req.member}`;
}

/** DBUS_CALL_ABORTED for `req`: the request that made it was cancelled. */
export function callAborted(kind: BusKind, req: CallRequest): AppError {
  return new AppError('DBUS_CALL_ABORTED', `${describeCall(req)} was cancelled`, {
    details: { bus: kind, destination: req.destination, member: req.member },
  });
}

/**
 * Dials `address` (guid dropped). dbus-next reports a connection the bus closed on no event of
 * its own, so the link watches the socket's 'end'/'close' and treats either as fatal.
 */
export function openLink(kind: BusKind, address: string, connectTimeoutMs: number, hooks: LinkHooks): Link {
  const dialled = stripGuid(address);
  const link: Link = {
    kind,
    address: dialled,
    bus: undefined,
    stream: undefined,
    ready: Promise.resolve(),
    unique: '',
    connected: false,
    dead: false,
    pending: new Set(),
    installed: new Set(),
    onDropped: hooks.onDropped,
  };
  link.ready = new Promise<void>((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => {
      clearTimeout(timer);
      reject(
        new AppError('DBUS_CONNECT_FAILED', `cannot connect to the ${kind} bus at ${dialled}: ${why}`, {
          cause,
          details: { bus: kind, address: dialled },
        }),
      );
      dropLink(link, why);
    };
    const timer = setTimeout(() => fail('no answer to Hello in time'), connectTimeoutMs);
    let bus: MessageBus;
    try {
      bus = dbus.sessionBus({ busAddress: dialled });
      link.bus = bus;
      link.stream = (bus as unknown as BusInternals)._connection.stream;
    } catch (e) {
      fail(errorMessage(e), e);
      return;
    }
    // A MessageBus 'error' without a listener would crash the process. After the handshake,
    // errors that matter also end the stream, which is handled below.
    bus.on('error', (err: unknown) => {
      if (!link.connected) fail(errorMessage(err), err);
    });
    const onClosed = () => {
      if (!link.connected) fail('the connection was closed during the handshake');
      else dropLink(link, 'the bus closed the connection');
    };
    link.stream.once('end', onClosed);
    link.stream.once('close', onClosed);
    bus.on('message', (msg: Message) => {
      if (!link.dead) hooks.onMessage(link, msg);
    });
    // Runs before dbus-next's own handling of method calls, which would answer any call it sees.
    bus.addMethodHandler((msg: Message) => answerIncomingCall(link, bus, msg));
    bus.once('connect', () => {
      clearTimeout(timer);
      if (link.dead) return;
      link.connected = true;
      link.unique = (bus as unknown as BusInternals).name ?? '';
      void hooks.onConnected(link).then(() => resolve());
    });
  });
  link.ready.catch(() => undefined);
  return link;
}

/**
 * The worker serves nothing on the bus. A method call that reaches it but is not addressed to its
 * unique name (an eavesdrop match rule delivers other peers' calls) gets no answer at all — an
 * answer would hijack the other peer's call. One addressed to it gets the standard answers:
 * Peer.Ping is answered, everything else is UnknownMethod (no reply when none is expected).
 * Always returns true: dbus-next's own handlers never see a call.
 */
function answerIncomingCall(link: Link, bus: MessageBus, msg: Message): boolean {
  if (!link.connected || msg.destination !== link.unique) return true;
  if ((msg.flags & MessageFlag.NO_REPLY_EXPECTED) !== 0) return true;
  if (msg.interface === PEER && msg.member === 'Ping' && (msg.signature ?? '') === '') {
    bus.send(Message.newMethodReturn(msg, '', []));
  } else {
    const what = `${msg.interface ? `${msg.interface}.` : ''}${msg.member ?? ''}`;
    // The typings say newError(msg: string, …); lib/message-type.js takes the call's Message.
    const call = msg as unknown as string;
    bus.send(Message.newError(call, DBUS_ERRORS.UnknownMethod, `${what} is not offered by this connection`));
  }
  return true;
}

/** Marks the link dead, rejects its pending calls at once, closes the socket. Idempotent. */
export function dropLink(link: Link, reason: string): void {
  if (link.dead) return;
  link.dead = true;
  const pending = [...link.pending];
  link.pending.clear();
  for (const reject of pending) reject(reason);
  link.stream?.destroy();
  link.bus?.removeAllListeners('message');
  link.onDropped(link, reason);
}

/**
 * Sends a validated request once `target` is available and waits for the reply, within
 * `timeoutMs` (counted from now, connecting included) and until `signal` aborts.
 */
export function sendOnLink(
  target: Link | Promise<Link>,
  req: CallRequest,
  opts: CallOptions & { timeoutMs: number; aborts: AbortWatch },
  kind: BusKind,
): Promise<CallReply> {
  const what = describeCall(req);
  const { timeoutMs, signal, aborts } = opts;
  const details = { bus: kind, destination: req.destination, member: req.member };
  const disconnected = (reason: string) =>
    new AppError(
      'DBUS_DISCONNECTED',
      `the ${kind} bus connection was lost during ${what} (${reason}); the next call reconnects`,
      { details },
    );
  const aborted = () => callAborted(kind, req);
  if (signal?.aborted) return Promise.reject(aborted());
  return new Promise<CallReply>((resolve, reject) => {
    let settled = false;
    let link: Link | undefined;
    let serial: number | null = null;
    let unwatch = (): void => undefined;
    const finish = (err: Error | undefined, reply?: CallReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unwatch();
      if (link) {
        link.pending.delete(onDrop);
        // dbus-next keeps reply handlers forever; forget the ones we stopped waiting for.
        if (err && serial !== null && link.bus) {
          delete (link.bus as unknown as BusInternals)._methodReturnHandlers[serial];
        }
      }
      if (err) reject(err);
      else resolve(reply ?? { signature: '', body: [] });
    };
    const onDrop = (reason: string) => finish(disconnected(reason));
    const onAbort = () => finish(aborted());
    const timer = setTimeout(() => {
      const message = `no reply to ${what} within ${timeoutMs} ms`;
      finish(new AppError('DBUS_TIMEOUT', message, { details: { ...details, timeoutMs } }));
    }, timeoutMs);
    if (signal) unwatch = aborts.on(signal, onAbort);

    const send = (l: Link) => {
      if (settled) return;
      link = l;
      if (l.dead || !l.bus) return finish(disconnected('it had already dropped'));
      l.pending.add(onDrop);
      const bus = l.bus as unknown as BusInternals;
      const s = bus._serial++;
      let data: Buffer;
      try {
        data = encodeMethodCall({
          serial: s,
          destination: req.destination,
          path: req.path,
          interface: req.interface,
          member: req.member,
          signature: req.signature ?? '',
          body: req.body ?? [],
          flags: req.noAutoStart ? MessageFlag.NO_AUTO_START : 0,
        });
      } catch (e) {
        // The values do not fit the signature; nothing was written.
        const why = `the arguments do not fit signature '${req.signature ?? ''}': ${errorMessage(e)}`;
        return finish(new AppError('VALUE_CONVERSION', `${what}: ${why}`, { cause: e, details }));
      }
      if (!l.stream?.writable) return finish(disconnected('the socket is no longer writable'));
      serial = s;
      // dbus-next routes the reply (already decoded) to this handler by serial, as for its own calls.
      bus._methodReturnHandlers[s] = (reply: Message) => {
        if (reply.type === MessageType.ERROR) {
          finish(
            new DBusCallError(
              reply.errorName ?? 'org.freedesktop.DBus.Error.Failed',
              String(reply.body[0] ?? ''),
            ),
          );
        } else {
          finish(undefined, { signature: reply.signature ?? '', body: reply.body ?? [] });
        }
      };
      l.stream.write(data);
    };
    if (target instanceof Promise) {
      target.then(send, (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
    } else {
      send(target);
    }
  });
}
