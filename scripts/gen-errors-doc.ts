// Writes docs/errors.md from the catalogue in src/shared/errors.ts (test/unit/shared/errors.test.ts
// fails when the two drift apart). Run: node --import tsx scripts/gen-errors-doc.ts
import { writeFileSync } from 'node:fs';
import type { ErrorSpec } from '../src/shared/errors.js';
import { ERROR_CODES, RETIRED_CODES } from '../src/shared/errors.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, spec]: [string, ErrorSpec]) => {
    const exit = spec.exit === undefined ? '' : ` (a command exits ${spec.exit})`;
    return `| \`${code}\` | ${spec.doc}${exit} |`;
  });
  const retired = Object.entries(RETIRED_CODES).map(([code, why]) => `| \`${code}\` | ${why} |`);
  return `# Error codes

Local failures carry one of these codes. In tool results they appear as \`dbus-mcp.<CODE>\` at the
start of the error text and as \`name\` in \`_meta["dbus-mcp/error"]\` (see [TOOLS.md](TOOLS.md));
errors that come from a D-Bus peer keep the peer's own error name (e.g.
\`org.freedesktop.DBus.Error.UnknownMethod\`). JSON-RPC errors the supervisor answers itself carry
the code as \`error.data.code\`. A command that fails exits 1 unless
its code names another exit status. Codes are never reused or renamed.
This file is generated from \`src/shared/errors.ts\` by \`node --import tsx scripts/gen-errors-doc.ts\`.

| code | meaning |
| --- | --- |
${rows.join('\n')}
${
  retired.length === 0
    ? ''
    : `
## Retired codes

Never used again, with any meaning.

| code | retired because |
| --- | --- |
${retired.join('\n')}
`
}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() as string)) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
}
