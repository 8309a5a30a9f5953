// Writes docs/errors.md from the catalogue in src/shared/errors.ts (test/unit/shared/errors.test.ts
// fails when the two drift apart). Run: node --import tsx scripts/gen-errors-doc.ts
import { writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/shared/errors.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, doc]) => `| \`${code}\` | ${doc} |`);
  return `# Error codes

Local failures carry one of these codes. In tool results they appear as \`dbus-mcp.<CODE>\` at the
start of the error text and as \`name\` in \`_meta["dbus-mcp/error"]\` (see [TOOLS.md](TOOLS.md));
errors that come from a D-Bus peer keep the peer's own error name (e.g.
\`org.freedesktop.DBus.Error.UnknownMethod\`). Codes are never reused.
This file is generated from \`src/shared/errors.ts\` by \`node --import tsx scripts/gen-errors-doc.ts\`.

| code | meaning |
| --- | --- |
${rows.join('\n')}
`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() as string)) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
}
