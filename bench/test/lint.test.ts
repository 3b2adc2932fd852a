// The bench lint entry (eslint.config.js): bench files import workspace packages by name,
// so a relative path into packages/, apps/ or test/ fails lint wherever it appears (static
// or dynamic import, require, URL), while node:* and process stay allowed in benches.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: REPO_ROOT });

async function lint(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}${filePath}` });
  return result!;
}

describe('bench lint', () => {
  const reaching: Array<[string, string]> = [
    ["import { crc32c } from '../../packages/codec/src/index.ts';\nexport const c = crc32c;\n", 'a static import of packages/*/src'],
    ["export const m = await import('../../apps/broker-node/src/gzip-accelerator.ts');\n", 'a dynamic import of apps/*/src'],
    ["export { startBroker } from '../../test/conformance/harness.ts';\n", 'a re-export from test/'],
    ["export const u = new URL('../../packages/codec/package.json', import.meta.url);\n", 'a URL into packages/'],
  ];
  for (const [code, what] of reaching) {
    it(`rejects ${what}`, async () => {
      const result = await lint(code, 'bench/codec/lint-probe.ts');
      expect(result.errorCount).toBe(1);
      expect(result.messages[0]!.message).toContain('import it by name');
    });
  }

  it('allows packages by name, node:* and process in a bench', async () => {
    const code = [
      "import { readFile } from 'node:fs/promises';",
      "import { crc32c } from '@samsa/codec';",
      "import { measure } from '@samsa/bench';",
      "import { batchOf } from './batches.ts';",
      'export const all = [readFile, crc32c, measure, batchOf, process.argv, Date.now(), Math.random()];',
      '',
    ].join('\n');
    expect((await lint(code, 'bench/log/lint-probe.ts')).messages).toEqual([]);
  });
});
