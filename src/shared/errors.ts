/** Exit code for configuration errors (EX_CONFIG); systemd's RestartPreventExitStatus names it. */
export const EXIT_CONFIG = 78;
/** Exit code for usage errors (EX_USAGE). */
export const EXIT_USAGE = 64;

/** One catalogue entry: a line of documentation and, for codes that end a command, its exit code. */
export interface ErrorSpec {
  doc: string;
  /** The exit status of a command that fails with this code (default 1). */
  exit?: typeof EXIT_USAGE | typeof EXIT_CONFIG;
}

/**
 * The one catalogue of local error codes. Codes are never reused or renamed: a code that goes
 * away moves to RETIRED_CODES. Each has one line of documentation, and
 * test/unit/shared/errors.test.ts keeps docs/errors.md in step with it.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: {
    doc: 'A configuration file, variable or flag has a value that is not allowed.',
    exit: EXIT_CONFIG,
  },
  CONFIG_UNREADABLE: { doc: 'A configuration file named explicitly could not be read.', exit: EXIT_CONFIG },
  USAGE: {
    doc: 'The command line is not understood (unknown command or flag, missing value).',
    exit: EXIT_USAGE,
  },
  INVALID_ARGUMENT: {
    doc: 'A tool or resource argument is not allowed (a timeout past its bound, a read-only property, a bad unit name or match rule).',
  },
  INVALID_BUS_NAME: { doc: 'A bus name (well-known or unique) is not valid per the D-Bus specification.' },
  INVALID_OBJECT_PATH: { doc: 'An object path is not valid per the D-Bus specification.' },
  INVALID_INTERFACE_NAME: { doc: 'An interface name is not valid per the D-Bus specification.' },
  INVALID_MEMBER_NAME: { doc: 'A method, property or signal name is not valid per the D-Bus specification.' },
  INVALID_SIGNATURE: { doc: 'A type signature could not be parsed, or is not allowed where it was given.' },
  VALUE_CONVERSION: { doc: 'A JSON value does not fit the D-Bus type it must be converted to (or back).' },
  UNSUPPORTED_TYPE: { doc: 'The D-Bus type cannot be carried by this server (unix file descriptors, `h`).' },
  DBUS_CONNECT_FAILED: {
    doc: 'The bus could not be reached (no address, socket missing, authentication refused).',
  },
  DBUS_DISCONNECTED: {
    doc: 'The bus connection dropped while the call was pending; the next call reconnects.',
  },
  DBUS_TIMEOUT: { doc: 'A D-Bus call got no reply within its timeout.' },
  DBUS_CALL_ABORTED: { doc: 'A D-Bus call was abandoned because the request that made it was cancelled.' },
  DBUS_ERROR: {
    doc: 'The D-Bus peer answered with an error reply (its name and message are carried along).',
  },
  INTROSPECTION_FAILED: { doc: 'An object could not be introspected, or its XML could not be read.' },
  SIGNATURE_UNKNOWN: { doc: 'No signature was given and introspection does not describe the member.' },
  POLICY_DENIED: { doc: 'The safety policy refused the operation (the level, rule and reason are named).' },
  POLICY_RULE_INVALID: { doc: 'A policy rule file has a line that cannot be parsed.', exit: EXIT_CONFIG },
  RATE_LIMITED: {
    doc: 'A rate limit was reached (this client’s, or the service-wide one all clients share); the message says which and when to retry.',
  },
  SERVICE_UNAVAILABLE: { doc: 'The desktop or system service a task tool needs is not present on the bus.' },
  SUBSCRIPTION_UNKNOWN: {
    doc: 'No signal subscription has that id (it ended, or the worker restarted and took it along).',
  },
  SUBSCRIPTION_LIMIT: { doc: 'The client already holds MAX_SUBSCRIPTIONS signal subscriptions.' },
  PORTAL_REQUEST_FAILED: {
    doc: 'A desktop portal request was cancelled by the human or failed, or its answer was unusable.',
  },
  PORTAL_NO_RESPONSE: {
    doc: 'A desktop portal request got no answer within its bound: most likely a dialog is waiting for the human (the first-use screenshot consent).',
  },
  SCREENSHOT_DIR_UNSAFE: {
    doc: 'SCREENSHOT_DIR is a symlink, not a directory, not owned by this user or open to others (not mode 0700): nothing is saved or pruned there.',
  },
  SOCKET_IN_USE: { doc: 'Another live server already answers on the socket path.' },
  SOCKET_PATH_MISSING: { doc: 'Neither SOCKET_PATH nor XDG_RUNTIME_DIR is set, so there is no socket path.' },
  SOCKET_CONNECT_FAILED: { doc: 'The client could not connect to the server socket.' },
  WORKER_CRASHED: {
    doc: 'The worker serving this client exited; in-flight requests fail, the session goes on.',
  },
  WORKER_START_FAILED: { doc: 'A worker process did not become ready.' },
  MAX_CLIENTS: { doc: 'The server already serves MAX_CLIENTS clients.' },
  MESSAGE_TOO_LARGE: { doc: 'A message from the client is longer than MAX_MESSAGE_BYTES.' },
  MESSAGE_TOO_DEEP: {
    doc: 'A message from the client nests arrays and objects more than 1,000 levels deep (the relay cannot pass it on).',
  },
  IPC_INVALID: { doc: 'A message between supervisor and worker did not match the IPC schema.' },
  INTERNAL: { doc: 'An unexpected internal failure; the log has the details.' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * Codes that existed once and must never come back with another meaning, each with why it went.
 * A test fails when a code leaves ERROR_CODES without being listed here.
 */
export const RETIRED_CODES: Readonly<Record<string, string>> = {};

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

/** The exit status for a command that failed with `e`: the catalogue's, else 1. */
export function exitCodeOf(e: unknown): number {
  if (!(e instanceof AppError)) return 1;
  const spec: ErrorSpec = ERROR_CODES[e.code];
  return spec.exit ?? 1;
}

/**
 * The `data` of a JSON-RPC error the product answers itself: the catalogue code first, so a
 * client can tell faults apart without parsing the message, then whatever the fault adds.
 */
export function errorData<E extends Record<string, unknown>>(
  code: ErrorCode,
  extra?: E,
): { code: ErrorCode } & E {
  return { code, ...(extra as E) };
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
