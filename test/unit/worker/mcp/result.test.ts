import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { AppError, DBusCallError } from '../../../../src/shared/errors.js';
import { unavailable } from '../../../../src/worker/desktop/common.js';
import { ERROR_META_KEY, dataResult, errorResult as toResult } from '../../../../src/worker/mcp/result.js';

/** errorResult, known not to be an input_required answer (only ConfirmationNeeded makes one). */
const errorResult = (e: unknown) => toResult(e) as CallToolResult;
const text = (r: CallToolResult) => (r.content[0] as { type: string; text: string } | undefined)?.text;

test('an error result has the error in its text and in _meta, and no structuredContent', () => {
  const r = errorResult(
    new AppError('POLICY_DENIED', 'call com.example.Go; call is not allowed at level high', {
      details: { level: 'high', kind: 'call', hint: 'set SAFETY_LEVEL=low' },
    }),
  );
  assert.equal(r.isError, true);
  assert.equal('structuredContent' in r, false, 'no structuredContent that could break an outputSchema');
  assert.equal(
    text(r),
    'dbus-mcp.POLICY_DENIED: call com.example.Go; call is not allowed at level high\nset SAFETY_LEVEL=low',
  );
  assert.deepEqual(r._meta?.[ERROR_META_KEY], {
    name: 'dbus-mcp.POLICY_DENIED',
    message: 'call com.example.Go; call is not allowed at level high',
    level: 'high',
    kind: 'call',
    hint: 'set SAFETY_LEVEL=low',
  });
});

test('a D-Bus error keeps the peer error name; the polkit one gets its hint once', () => {
  const r = errorResult(new DBusCallError('org.freedesktop.DBus.Error.ServiceUnknown', 'not provided'));
  assert.equal(text(r), 'org.freedesktop.DBus.Error.ServiceUnknown: not provided');
  assert.deepEqual(r._meta?.[ERROR_META_KEY], {
    name: 'org.freedesktop.DBus.Error.ServiceUnknown',
    message: 'not provided',
  });
  const polkit = errorResult(
    new DBusCallError('org.freedesktop.PolicyKit1.Error.InteractiveAuthorizationRequired', 'auth needed'),
  );
  const lines = (text(polkit) ?? '').split('\n');
  assert.equal(lines.length, 2, text(polkit));
  assert.match(lines[1] ?? '', /interactive polkit authorization/);
});

test('an unexpected failure is dbus-mcp.INTERNAL with its message', () => {
  const r = errorResult(new TypeError('boom'));
  assert.equal(text(r), 'dbus-mcp.INTERNAL: boom');
  assert.equal('structuredContent' in r, false);
});

test('a data result carries the same JSON as text and structuredContent', () => {
  const r = dataResult({ a: 1 }, 'summary');
  assert.deepEqual(r.structuredContent, { a: 1 });
  assert.equal(text(r), 'summary\n{\n  "a": 1\n}');
});

test('a SERVICE_UNAVAILABLE error says what is missing, then its hint once', () => {
  const r = errorResult(unavailable('No systemd user manager', 'Try manager="system".'));
  assert.equal(text(r), 'dbus-mcp.SERVICE_UNAVAILABLE: No systemd user manager\nTry manager="system".');
});
