// Flat ESLint config. Its one job beyond hygiene is the runtime boundary: only
// @samsa/runtime and apps/* may touch `node:*`, `Deno`, `process` or `Buffer`. Everything
// else runs unchanged on Node, Deno and the memory (edge) runtime. The same packages take
// time and randomness only from the runtime's Clock and Random, so one seed reproduces a run.
// Kafka API keys in the broker, codec and client sources come from the generated constants
// (samsa/no-literal-api-key); tests may write the wire's numbers.
import tseslint from 'typescript-eslint';
import noLiteralApiKey from './scripts/eslint-rules/no-literal-api-key.js';

const runtimeMessage =
  'is runtime-specific: only @samsa/runtime and apps/* may use it. Take it through a @samsa/runtime interface instead.';

const seedMessage =
  "escapes the seed: core packages take time from the runtime's Clock and randomness from its Random (@samsa/runtime), so one seed reproduces a run.";

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
      'no-restricted-properties': [
        'error',
        { object: 'crypto', property: 'getRandomValues', message: `crypto.getRandomValues ${seedMessage}` },
        { object: 'crypto', property: 'randomUUID', message: `crypto.randomUUID ${seedMessage}` },
        { object: 'Math', property: 'random', message: `Math.random ${seedMessage}` },
        { object: 'Date', property: 'now', message: `Date.now ${seedMessage}` },
        { object: 'performance', property: 'now', message: `performance.now ${seedMessage}` },
      ],
      'no-restricted-syntax': [
        'error',
        // The same reads through another path (globalThis.crypto.randomUUID, self.performance.now…).
        { selector: "MemberExpression[object.type='MemberExpression'][property.name=/^(getRandomValues|randomUUID)$/]", message: `Random values ${seedMessage}` },
        { selector: "MemberExpression[object.property.name='performance'][property.name='now']", message: `performance.now ${seedMessage}` },
        { selector: "MemberExpression[object.property.name=/^(Math|Date)$/][property.name=/^(random|now)$/]", message: `Math.random/Date.now ${seedMessage}` },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() reads the wall clock and ${seedMessage}` },
      ],
    },
  },
  // Benchmarks (bench/, the @samsa/benchmarks package) are Node scripts: node:*, process and
  // wall-clock timing are what they are for, so the boundary and seed rules above do not
  // reach them. They measure the packages as users get them, so they import workspace
  // packages by name, never another package's sources by relative path.
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        // Any string naming such a path: a static or dynamic import, a require, a `new URL`.
        {
          selector: String.raw`Literal[value=/^(\.\.\/)+(packages|apps|test)\//]`,
          message: "reaches into another workspace package's files: import it by name (@samsa/codec, @samsa/log, @samsa/runtime/node, @samsa/bench…).",
        },
      ],
    },
  },
  {
    files: ['packages/broker/src/**/*.ts', 'packages/codec/src/**/*.ts', 'packages/client/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { samsa: { rules: { 'no-literal-api-key': noLiteralApiKey } } },
    rules: { 'samsa/no-literal-api-key': 'error' },
  },
);
