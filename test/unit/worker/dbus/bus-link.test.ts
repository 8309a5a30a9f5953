import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stripGuid } from '../../../../src/worker/dbus/bus-link.js';

describe('stripGuid', () => {
  test('drops guid= from every entry and keeps the rest', () => {
    assert.equal(stripGuid('unix:path=/tmp/x,guid=0123abcd'), 'unix:path=/tmp/x');
    assert.equal(stripGuid('unix:guid=ab,abstract=/tmp/y'), 'unix:abstract=/tmp/y');
    assert.equal(
      stripGuid('unix:path=/a,guid=1;tcp:host=localhost,port=1234,guid=2'),
      'unix:path=/a;tcp:host=localhost,port=1234',
    );
    assert.equal(stripGuid('unix:path=/plain'), 'unix:path=/plain');
  });
});
