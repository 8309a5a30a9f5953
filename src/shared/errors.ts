/**
 * The one catalogue of local error codes. Codes are never reused or renamed; each has one line
 * of documentation, and test/unit/shared/errors.test.ts keeps docs/errors.md in step with it.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 'A configuration file, variable or flag has a value that is not allowed.',
  CONFIG_UNREADABLE: 'A configuration file named explicitly could not be read.',
  USAGE: 'The command line is not understood (unknown command or flag, missing value).',
  INVALID_ARGUMENT:
    'A tool or resource argument is not allowed (a timeout past its bound, a read-only property, a bad unit name or match rule).',
  INVALID_BUS_NAME: 'A bus name (well-known or unique) is not valid per the D-Bus specification.',
  INVALID_OBJECT_PATH: 'An object path is not valid per the D-Bus specification.',
  INVALID_INTERFACE_NAME: 'An interface name is not valid per the D-Bus specification.',
  INVALID_MEMBER_NAME: 'A method, property or signal name is not valid per the D-Bus specification.',
  INVALID_SIGNATURE: 'A type signature could not be parsed, or is not allowed where it was given.',
  VALUE_CONVERSION: 'A JSON value does not fit the D-Bus type it must be converted to (or back).',
  UNSUPPORTED_TYPE: 'The D-Bus type cannot be carried by this server (unix file descriptors, `h`).',
  DBUS_CONNECT_FAILED: 'The bus could not be reached (no address, socket missing, authentication refused).',
  DBUS_DISCONNECTED: 'The bus connection dropped while the call was pending; the next call reconnects.',
  DBUS_TIMEOUT: 'A D-Bus call got no reply within its timeout.',
  DBUS_CALL_ABORTED: 'A D-Bus call was abandoned because the request that made it was cancelled.',
  DBUS_ERROR: 'The D-Bus peer answered with an error reply (its name and message are carried along).',
  INTROSPECTION_FAILED: 'An object could not be introspected, or its XML could not be read.',
  SIGNATURE_UNKNOWN: 'No signature was given and introspection does not describe the member.',
  POLICY_DENIED: 'The safety policy refused the operation (the level, rule and reason are named).',
  POLICY_RULE_INVALID: 'A policy rule file has a line that cannot be parsed.',
  RATE_LIMITED: 'A per-client rate limit was reached; the message says when to retry.',
  SERVICE_UNAVAILABLE: 'The desktop or system service a task tool needs is not present on the bus.',
  SUBSCRIPTION_UNKNOWN:
    'No signal subscription has that id (it ended, or the worker restarted and took it along).',
  SUBSCRIPTION_LIMIT: 'The client already holds MAX_SUBSCRIPTIONS signal subscriptions.',
  PORTAL_REQUEST_FAILED:
    'A desktop portal request was cancelled by the human or failed, or its answer was unusable.',
  SOCKET_IN_USE: 'Another live server already answers on the socket path.',
  SOCKET_PATH_MISSING: 'Neither SOCKET_PATH nor XDG_RUNTIME_DIR is set, so there is no socket path.',
  SOCKET_CONNECT_FAILED: 'The client could not connect to the server socket.',
  WORKER_CRASHED: 'The worker serving this client exited; in-flight requests fail, the session goes on.',
  WORKER_START_FAILED: 'A worker process did not become ready.',
  MAX_CLIENTS: 'The server already serves MAX_CLIENTS clients.',
  MESSAGE_TOO_LARGE: 'A message from the client is longer than MAX_MESSAGE_BYTES.',
  IPC_INVALID: 'A message between supervisor and worker did not match the IPC schema.',
  INTERNAL: 'An unexpected internal failure; the log has the details.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A local fault with a catalogued code. `details` is safe to show to a client. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
  }
}

/** An error reply from a D-Bus peer: `dbusName` is the error name (e.g. org.freedesktop.DBus.Error.UnknownMethod). */
export class DBusCallError extends AppError {
  readonly dbusName: string;
  readonly dbusMessage: string;

  constructor(dbusName: string, message: string) {
    super('DBUS_ERROR', `${dbusName}: ${message}`);
    this.dbusName = dbusName;
    this.dbusMessage = message;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Exit code for configuration errors (EX_CONFIG); systemd's RestartPreventExitStatus names it. */
export const EXIT_CONFIG = 78;
/** Exit code for usage errors (EX_USAGE). */
export const EXIT_USAGE = 64;

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
