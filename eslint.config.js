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
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  ...workerFences,
);
