// Builds the standalone program: one ESM file with every dependency inside, a node shebang,
// runnable without a checkout (installed as /usr/local/bin/dbus-mcp).
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = 'dist/dbus-mcp.mjs';

await build({
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  // Minified, every process (supervisor and each worker) holds half the source text and less
  // bytecode: ~6 MiB less private memory per process, what lets 16 clients fit in MemoryMax=512M
  // (bench/README.md, "Memory"). No keepNames: it costs ~2 MiB per worker again. Logged errors keep
  // their name, message and stack (pino's `type` shows the minified class name); the linked source
  // map maps stack traces back to src/.
  minify: true,
  legalComments: 'none',
  // dbus-next's optional abstract-socket helper is a native addon we never install.
  external: ['usocket', 'x11'],
  define: { 'process.env.DBUS_MCP_VERSION': JSON.stringify(pkg.version) },
  banner: {
    // The shebang comes from src/cli.ts (esbuild keeps an entry point's hashbang on line 1).
    js: [
      "import { createRequire as __dbusMcpCreateRequire } from 'node:module';",
      'const require = __dbusMcpCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
