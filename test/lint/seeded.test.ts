// The seed rule (eslint.config.js, issue 12): core packages must not read time or randomness
// past the runtime's Clock and Random. Each forbidden read fails lint in a core package;
// the same reads through the runtime interfaces pass, and @samsa/runtime, apps/* are exempt.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function lint(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return result!;
}

describe('seed lint', () => {
  const forbidden: Array<[string, string]> = [
    ['export const r = Math.random();\n', 'Math.random'],
    ['export const b = crypto.getRandomValues(new Uint8Array(16));\n', 'crypto.getRandomValues'],
    ['export const u = crypto.randomUUID();\n', 'crypto.randomUUID'],
    ['export const n = Date.now();\n', 'Date.now'],
    ['export const t = performance.now();\n', 'performance.now'],
    ['export const u = globalThis.crypto.randomUUID();\n', 'globalThis.crypto.randomUUID'],
    ['export const t = globalThis.performance.now();\n', 'globalThis.performance.now'],
    ['export const r = globalThis.Math.random();\n', 'globalThis.Math.random'],
    ['export const d = new Date();\n', 'new Date()'],
  ];
  for (const [code, what] of forbidden) {
    it(`rejects ${what} in a core package and names the file`, async () => {
      for (const pkg of ['codec', 'log', 'coordinator', 'broker']) {
        const result = await lint(code, `packages/${pkg}/src/seed-probe.ts`);
        expect(result.filePath).toContain(`packages/${pkg}/src/seed-probe.ts`);
        expect(result.errorCount, `${what} in ${pkg}`).toBe(1);
        expect(result.messages[0]!.message).toContain('escapes the seed');
      }
    });
  }

  it('rejects a planted Math.random() in a test file of a core package too', async () => {
    const result = await lint("it('x', () => Math.random());\n", 'packages/broker/src/seed-probe.test.ts');
    expect(result.errorCount).toBe(1);
  });

  it('allows time and randomness through the runtime interfaces', async () => {
    const code = [
      "import type { Clock, Random } from '@samsa/runtime';",
      'export const id = (random: Random): Uint8Array => random.fill(new Uint8Array(16));',
      'export const now = (clock: Clock): number => clock.wallMs() + clock.monotonicMs();',
      'export const at = new Date(0).toISOString();',
      'export const floor = Math.floor(1.5);',
      '',
    ].join('\n');
    const result = await lint(code, 'packages/broker/src/seed-probe.ts');
    expect(result.messages).toEqual([]);
  });

  it('leaves @samsa/runtime and apps/* alone', async () => {
    const code = 'export const r = Math.random() + Date.now() + performance.now();\nexport const u = crypto.randomUUID();\n';
    expect((await lint(code, 'packages/runtime/src/seed-probe.ts')).errorCount).toBe(0);
    expect((await lint(code, 'apps/broker-node/src/seed-probe.ts')).errorCount).toBe(0);
  });
});
