import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory `dbus-mcp-<name>-XXXXXX` under the system temp dir (the caller removes it). */
export function makeTempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `dbus-mcp-${name}-`));
}
