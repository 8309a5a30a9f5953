import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderErrorsDoc } from '../../../scripts/gen-errors-doc.js';
import {
  AppError,
  ERROR_CODES,
  EXIT_CONFIG,
  EXIT_USAGE,
  RETIRED_CODES,
  errorData,
  exitCodeOf,
} from '../../../src/shared/errors.js';

/**
 * Every code the catalogue has ever had. A code may leave ERROR_CODES only by moving to
 * RETIRED_CODES; add new codes here too (a code missing here is not an error, one missing from
 * both catalogues is).
 */
const EVER = [
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'USAGE',
  'INVALID_BUS_NAME',
  'INVALID_OBJECT_PATH',
  'INVALID_INTERFACE_NAME',
  'INVALID_MEMBER_NAME',
  'INVALID_SIGNATURE',
  'VALUE_CONVERSION',
  'UNSUPPORTED_TYPE',
  'DBUS_CONNECT_FAILED',
  'DBUS_DISCONNECTED',
  'DBUS_TIMEOUT',
  'DBUS_CALL_ABORTED',
  'DBUS_ERROR',
  'INTROSPECTION_FAILED',
  'SIGNATURE_UNKNOWN',
  'POLICY_DENIED',
  'POLICY_RULE_INVALID',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'SUBSCRIPTION_UNKNOWN',
  'SUBSCRIPTION_LIMIT',
  'PORTAL_REQUEST_FAILED',
  'SOCKET_IN_USE',
  'SOCKET_PATH_MISSING',
  'SOCKET_CONNECT_FAILED',
  'WORKER_CRASHED',
  'WORKER_START_FAILED',
  'MAX_CLIENTS',
  'MESSAGE_TOO_LARGE',
  'MESSAGE_TOO_DEEP',
  'IPC_INVALID',
  'INTERNAL',
];

test('docs/errors.md lists every error code exactly as the catalogue says', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, renderErrorsDoc(), 'regenerate with: node --import tsx scripts/gen-errors-doc.ts');
  for (const code of Object.keys(ERROR_CODES)) assert.match(doc, new RegExp(`\\| \`${code}\` \\|`));
});

test('codes are never reused: a code leaves the catalogue only into RETIRED_CODES', () => {
  for (const code of Object.keys(RETIRED_CODES)) {
    assert.ok(!Object.hasOwn(ERROR_CODES, code), `${code} is retired and must not come back`);
  }
  for (const code of EVER) {
    assert.ok(
      Object.hasOwn(ERROR_CODES, code) || Object.hasOwn(RETIRED_CODES, code),
      `${code} left ERROR_CODES; list it in RETIRED_CODES with the reason`,
    );
  }
});

test('exit codes come from the catalogue: 78 for configuration, 64 for usage, else 1', () => {
  assert.equal(exitCodeOf(new AppError('CONFIG_INVALID', 'x')), EXIT_CONFIG);
  assert.equal(exitCodeOf(new AppError('CONFIG_UNREADABLE', 'x')), EXIT_CONFIG);
  assert.equal(exitCodeOf(new AppError('POLICY_RULE_INVALID', 'x')), EXIT_CONFIG);
  assert.equal(exitCodeOf(new AppError('USAGE', 'x')), EXIT_USAGE);
  assert.equal(exitCodeOf(new AppError('SOCKET_IN_USE', 'x')), 1);
  assert.equal(exitCodeOf(new Error('plain')), 1);
});

test('errorData puts the catalogue code first and keeps the rest', () => {
  assert.deepEqual(errorData('MAX_CLIENTS', { maxClients: 2 }), { code: 'MAX_CLIENTS', maxClients: 2 });
  assert.deepEqual(errorData('WORKER_CRASHED'), { code: 'WORKER_CRASHED' });
});

test('AppError keeps its code, message, cause and details', () => {
  const cause = new Error('low level');
  const e = new AppError('DBUS_TIMEOUT', 'no reply', { cause, details: { ms: 5 } });
  assert.equal(e.code, 'DBUS_TIMEOUT');
  assert.equal(e.message, 'no reply');
  assert.equal(e.cause, cause);
  assert.deepEqual(e.details, { ms: 5 });
});
