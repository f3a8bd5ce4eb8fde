import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// One direction between folders: the guest's domain modules never reach up into
// the RPC layer or across into host tooling, and src/common imports no domain code.
const DOMAIN = ['sandbox', 'runtime', 'process', 'storage', 'devices', 'network', 'guest', 'cgroups'];
const UPWARD = [
  { group: ['**/rpc/handlers/*', '**/rpc/handlers'], message: 'domain code does not depend on RPC handlers' },
  {
    group: ['**/rpc/server', '**/rpc/grpc-wire', '**/rpc/h2/*'],
    message: 'domain code does not depend on the RPC server',
  },
  {
    group: ['**/host/*', '**/host/**', '**/client/*', '**/cli/*'],
    message: 'guest code does not depend on host tooling',
  },
];
const DOMAIN_GLOBS = DOMAIN.map((d) => `**/${d}/*`);
// Pieces every layer shares live in src/common; the old homes stay empty.
const MOVED = [
  {
    group: ['**/rpc/errors', '**/rpc/status'],
    message: 'status-coded errors and gRPC codes come from src/common',
  },
  { group: ['**/guest/paths'], message: 'SystemPaths comes from src/common/system-paths' },
];

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'src/generated/', '.vm/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: MOVED }],
    },
  },
  // Type-aware: a promise nobody awaits or catches is a crash (unhandled rejection) or a lost error.
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test() and hooks return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // One table of mount(2) flags, checked against the addon's by a test.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.property.name='constants'][property.name=/^MS_/]",
          message: 'mount flags come from src/common/mount-flags',
        },
      ],
    },
  },
  {
    files: DOMAIN.map((d) => `src/${d}/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [...MOVED, ...UPWARD] }] },
  },
  {
    // Tests and benchmarks share helpers through tools/testkit, never each other.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...MOVED,
            {
              group: ['**/bench/*', '**/bench/**'],
              message: 'tests do not import bench code; share it via tools/testkit',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...MOVED,
            {
              group: ['**/test/*', '**/test/**'],
              message: 'benchmarks do not import test code; share it via tools/testkit',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['tools/testkit/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...MOVED,
            {
              group: ['**/test/*', '**/test/**', '**/bench/*', '**/bench/**'],
              message: 'tools/testkit sits below tests and benchmarks',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...MOVED,
            ...UPWARD,
            {
              group: [...DOMAIN_GLOBS, '**/rpc/*', '**/transport/*'],
              message: 'src/common imports no domain code',
            },
          ],
        },
      ],
    },
  },
);
