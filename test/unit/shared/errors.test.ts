import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderErrorsDoc } from '../../../scripts/gen-errors-doc.js';
import { AppError, ERROR_CODES } from '../../../src/shared/errors.js';

test('docs/errors.md lists every error code exactly as the catalogue says', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, renderErrorsDoc(), 'regenerate with: node --import tsx scripts/gen-errors-doc.js');
  for (const code of Object.keys(ERROR_CODES)) assert.match(doc, new RegExp(`\\| \`${code}\` \\|`));
});

test('AppError keeps its code, message, cause and details', () => {
  const cause = new Error('low level');
  const e = new AppError('DBUS_TIMEOUT', 'no reply', { cause, details: { ms: 5 } });
  assert.equal(e.code, 'DBUS_TIMEOUT');
  assert.equal(e.message, 'no reply');
  assert.equal(e.cause, cause);
  assert.deepEqual(e.details, { ms: 5 });
});
