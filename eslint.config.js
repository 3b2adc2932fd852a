// Flat ESLint config. Its one job beyond hygiene is the runtime boundary: only
// @samsa/runtime and apps/* may touch `node:*`, `Deno`, `process` or `Buffer`. Everything
// else runs unchanged on Node, Deno and the memory (edge) runtime.
import tseslint from 'typescript-eslint';

const runtimeMessage =
  'is runtime-specific: only @samsa/runtime and apps/* may use it. Take it through a @samsa/runtime interface instead.';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/*.d.ts', 'bench/results/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/runtime/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: `node:* ${runtimeMessage}` },
            {
              group: ['fs', 'fs/*', 'net', 'os', 'path', 'child_process', 'crypto', 'stream', 'buffer', 'process', 'zlib', 'worker_threads', 'timers', 'util'],
              message: `Node built-ins ${runtimeMessage}`,
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Deno', message: `Deno ${runtimeMessage}` },
        { name: 'process', message: `process ${runtimeMessage}` },
        { name: 'Buffer', message: `Buffer ${runtimeMessage}` },
        { name: 'require', message: `require ${runtimeMessage}` },
        { name: '__dirname', message: `__dirname ${runtimeMessage}` },
      ],
    },
  },
);
