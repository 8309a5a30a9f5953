import tseslint from 'typescript-eslint';

// ---- worker fences (the gate room; docs/ARCHITECTURE.md "Worker") ----
// In the worker only src/worker/dbus/ speaks dbus-next; only the gate, the policy's resolver and
// dbus/ itself may use the connection modules' values (everyone else reaches a bus through
// gate.run); no tool imports another tool. Scoped to src/worker/**: a block for other folders that
// sets no-restricted-imports must not match worker files (the last matching block wins per rule).
const DBUS_NEXT = {
  name: 'dbus-next',
  message: 'dbus-next is wrapped in src/worker/dbus/ (use dbus/values for variants).',
};
const CONNECTION = {
  regex: '(^|/)dbus/(connection|bus-manager)\\.js$',
  allowTypeImports: true,
  message: 'reach a bus through the gate (WorkerDeps.gate: run, driver), not through a connection.',
};
const OTHER_TOOL = {
  regex: '^\\./',
  message: 'a tool does not import another tool: shared code lives in mcp/, queries/ or desktop/.',
};
const restricted = (patterns, paths = [DBUS_NEXT]) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }],
});
const workerFences = [
  { files: ['src/worker/**/*.ts'], ignores: ['src/worker/dbus/**'], rules: restricted([CONNECTION]) },
  { files: ['src/worker/gate/**/*.ts', 'src/worker/policy/resolve.ts'], rules: restricted([]) },
  {
    files: ['src/worker/tools/*.ts'],
    ignores: ['src/worker/tools/index.ts'],
    rules: restricted([CONNECTION, OTHER_TOOL]),
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Log the Error itself under `err` (pino's serializer keeps its code, details and stack).
      'no-restricted-syntax': [
        'error',
        {
          selector: "Property[key.name='err'] > CallExpression[callee.name='errorMessage']",
          message: 'log `{ err }` with the Error object, not `err: errorMessage(err)`',
        },
      ],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits or handles, a promise where a callback's result
    // is ignored, a switch that misses a case of its union.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test registers tests with calls whose promise the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  ...workerFences,
  // ── Room fences of the supervisor and the shared contracts (docs/ARCHITECTURE.md) ──────────
  {
    // The supervisor relays JSON-RPC; it never speaks MCP or D-Bus and knows the worker only
    // through src/shared (IPC, config, status). Rule files are checked through a loader the
    // composition root (src/commands/serve.ts) injects.
    files: ['src/supervisor/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@modelcontextprotocol/*'], message: 'the supervisor does not use the MCP SDK' },
            { group: ['dbus-next', 'dbus-next/*'], message: 'the supervisor does not use D-Bus' },
            {
              group: ['**/worker/**', '../worker', '**/commands/**', '**/cli/**', '**/cli.js'],
              message: 'the supervisor imports src/shared only',
            },
          ],
        },
      ],
    },
  },
  {
    // Contracts only: nothing in src/shared depends on a role.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/supervisor/**', '**/worker/**', '**/commands/**', '**/cli/**', '**/cli.js'],
              message: 'src/shared holds contracts and imports no role',
            },
            {
              group: ['@modelcontextprotocol/*', 'dbus-next', 'dbus-next/*'],
              message: 'src/shared imports no SDK',
            },
          ],
        },
      ],
    },
  },
);
