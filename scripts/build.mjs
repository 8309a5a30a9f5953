// Builds the program: an entry file with a node shebang and the chunks it imports on demand,
// runnable without a checkout or node_modules:
//   dist/bin/dbus-mcp.mjs                  the entry (cli: argument parsing and dispatch only)
//   dist/lib/dbus-mcp/*.mjs                one chunk per command and the code they share
//   dist/lib/dbus-mcp/connect.cjs          `dbus-mcp connect` in one CommonJS file (the bridge)
//   dist/lib/dbus-mcp/worker-snapshot.cjs  the worker in one CommonJS file, what the supervisor
//                                          builds the workers' V8 startup snapshot from
//   dist/dbus-mcp.mjs                      a symlink to bin/dbus-mcp.mjs (the path tests, units and npm use)
// Installed the same way round (install.sh): PREFIX/bin/dbus-mcp and PREFIX/lib/dbus-mcp/*, the
// entry importing ../lib/dbus-mcp/… Code splitting is what lets `dbus-mcp connect` load only the
// bridge (bench/README.md), while serve and the workers load what they need. The snapshot file must
// be one script (node's snapshot builder loads no modules but node's own), so it is bundled apart.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const entry = 'dist/bin/dbus-mcp.mjs';
const shim = (name) => fileURLToPath(new URL(`./build-shims/${name}`, import.meta.url));

// Code every process would load and never run (bench/README.md, "Memory"): see each shim's header.
const leaveOut = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]zod[/\\]v4[/\\]/.test(args.importer) ? { path: shim('zod-locales.js') } : undefined,
    );
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({
      path: shim('mcp-server-shims.js'),
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Minified, every process (supervisor and each worker) holds less source text and bytecode:
  // several MiB less private memory per process (bench/README.md, "Memory"). No keepNames (it
  // costs per worker again). Logged errors keep their name, message and stack; the linked source
  // maps map stack traces back to src/.
  minify: true,
  legalComments: 'none',
  // dbus-next's optional abstract-socket helper is a native addon we never install.
  external: ['usocket', 'x11'],
  define: { __DBUS_MCP_VERSION__: JSON.stringify(pkg.version) },
  plugins: [leaveOut],
  logLevel: 'warning',
};

rmSync('dist', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { 'dbus-mcp': 'src/cli.ts' },
  outdir: 'dist',
  entryNames: 'bin/[name]',
  chunkNames: 'lib/dbus-mcp/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  format: 'esm',
  banner: {
    // The shebang comes from src/cli.ts (esbuild keeps an entry point's hashbang on line 1). Every
    // chunk gets a `require` for the CommonJS dependencies bundled into it.
    // No import statement: the entry gets the banner too, and `connect` should load no module.
    js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
  },
});
// `dbus-mcp connect` in one file (src/commands/connect-main.ts), required by the entry.
await build({
  ...common,
  entryPoints: { connect: 'src/commands/connect-main.ts' },
  outdir: 'dist/lib/dbus-mcp',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});
await build({
  ...common,
  entryPoints: { 'worker-snapshot': 'src/commands/worker-snapshot.ts' },
  outdir: 'dist/lib/dbus-mcp',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});
chmodSync(entry, 0o755);
symlinkSync('bin/dbus-mcp.mjs', 'dist/dbus-mcp.mjs');
