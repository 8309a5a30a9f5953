import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Config, ConfigKey } from '../../src/shared/config.js';
import { CONFIG_KEYS, expandHome, loadConfig } from '../../src/shared/config.js';

const EXAMPLE = fileURLToPath(new URL('../../config/config.example', import.meta.url));
const text = readFileSync(EXAMPLE, 'utf8');
const keys = Object.keys(CONFIG_KEYS) as ConfigKey[];

describe('config/config.example (the shipped /etc/dbus-mcp/config)', () => {
  it('sets SAFETY_LEVEL="high" as its only active line', () => {
    const active = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    assert.deepEqual(active, ['SAFETY_LEVEL="high"']);
  });

  it('lists every key of CONFIG_KEYS with its default, commented out', () => {
    for (const key of keys) {
      if (key === 'SAFETY_LEVEL') continue;
      const line = `#${key}="${CONFIG_KEYS[key].default}"`;
      assert.ok(text.split('\n').includes(line), `missing line ${line}`);
    }
  });

  it('documents every key and what it allows', () => {
    for (const key of keys) {
      if (key === 'SAFETY_LEVEL') continue;
      assert.match(text, new RegExp(`^# ${key}: `, 'm'), `no doc comment for ${key}`);
      assert.ok(text.includes(`Allowed: ${CONFIG_KEYS[key].allowed}.`), `no allowed values for ${key}`);
    }
  });

  it('explains the three safety levels', () => {
    for (const level of ['high', 'medium', 'low']) assert.match(text, new RegExp(`^#   ${level} `, 'm'));
  });

  it('mentions no key the program does not read', () => {
    const mentioned = [...text.matchAll(/^#?([A-Z][A-Z0-9_]+)="/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(mentioned)].sort(), [...keys].sort());
  });

  it('loads cleanly: no warnings, every value its default', () => {
    const loaded = loadConfig({ configFile: EXAMPLE, env: { HOME: '/home/example' } });
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(loaded.files, [EXAMPLE]);
    const line = text.split('\n').indexOf('SAFETY_LEVEL="high"') + 1;
    assert.deepEqual(loaded.origins.SAFETY_LEVEL, { source: 'file', file: EXAMPLE, line });
    const defaults = loadConfig({ configFile: '/dev/null', env: { HOME: '/home/example' } }).config;
    assert.deepEqual(loaded.config, defaults);
  });

  it('loads cleanly with every commented key switched on, to the same values', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-config-example-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'config');
    writeFileSync(file, text.replace(/^#([A-Z][A-Z0-9_]+=")/gm, '$1'));
    const env = { HOME: '/home/example' };
    const loaded = loadConfig({ configFile: file, env });
    assert.deepEqual(loaded.warnings, []);
    for (const key of keys) assert.equal(loaded.origins[key].source, 'file', key);
    // A file value expands a leading ~/ (as the shell would); a built-in default is expanded later.
    const expanded = (c: Config) =>
      Object.fromEntries(
        Object.entries(c).map(([k, v]) => [k, typeof v === 'string' ? expandHome(v, env) : v]),
      );
    assert.deepEqual(expanded(loaded.config), expanded(loadConfig({ configFile: EXAMPLE, env }).config));
  });
});
