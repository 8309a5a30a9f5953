import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { snapshotCacheDir } from '../../../src/supervisor/worker-snapshot.js';

const temp = () => mkdtempSync(join(tmpdir(), 'dbus-mcp-snapdir-'));

test('systemd’s CACHE_DIRECTORY first (the sandbox’s writable cache), then XDG_CACHE_HOME, then HOME', () => {
  const [unit, xdg, home] = [temp(), temp(), temp()];
  const env = { CACHE_DIRECTORY: `${unit}:/elsewhere`, XDG_CACHE_HOME: xdg, HOME: home };
  assert.deepEqual(snapshotCacheDir(env), { path: join(unit, 'snapshots') });
  assert.deepEqual(snapshotCacheDir({ XDG_CACHE_HOME: xdg, HOME: home }), {
    path: join(xdg, 'dbus-mcp', 'snapshots'),
  });
  assert.deepEqual(snapshotCacheDir({ XDG_CACHE_HOME: 'relative', HOME: home }), {
    path: join(home, '.cache', 'dbus-mcp', 'snapshots'),
  });
  assert.equal(statSync(join(unit, 'snapshots')).mode & 0o777, 0o700);
});

test('no cache directory, or one others may write to: no snapshots, and the reason', () => {
  const none = snapshotCacheDir({});
  assert.ok('off' in none && /no cache directory/.test(none.off));
  const base = temp();
  mkdirSync(join(base, 'snapshots'));
  chmodSync(join(base, 'snapshots'), 0o777);
  const open = snapshotCacheDir({ CACHE_DIRECTORY: base });
  assert.ok('off' in open && /may be written by others \(mode 777\)/.test(open.off), JSON.stringify(open));
});
