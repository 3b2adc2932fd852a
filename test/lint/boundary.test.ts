// The runtime boundary rule (eslint.config.js) must fail on each runtime-specific use in a
// core package, name the file, and leave @samsa/runtime and apps/* alone.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function lint(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return result!;
}

describe('runtime boundary lint', () => {
  const forbidden: Array<[string, string]> = [
    ["import { open } from 'node:fs/promises';\nexport const o = open;\n", 'node:fs/promises'],
    ["import net from 'net';\nexport const n = net;\n", 'Node built-ins'],
    ['export const argv = process.argv;\n', 'process'],
    ['export const b = Buffer.from([1]);\n', 'Buffer'],
    ['export const f = Deno.open;\n', 'Deno'],
  ];
  for (const [code, what] of forbidden) {
    it(`rejects ${what} in packages/log/src and names the file`, async () => {
      const result = await lint(code, 'packages/log/src/boundary-probe.ts');
      expect(result.filePath).toContain('packages/log/src/boundary-probe.ts');
      expect(result.errorCount).toBeGreaterThan(0);
      expect(result.messages.map((m) => m.message).join('\n')).toContain('only @samsa/runtime and apps/* may use it');
    });
  }

  it('applies to every core package', async () => {
    for (const pkg of ['codec', 'replication', 'coordinator', 'broker', 'client']) {
      const result = await lint("import 'node:fs';\n", `packages/${pkg}/src/boundary-probe.ts`);
      expect(result.errorCount).toBe(1);
    }
  });

  it('allows runtime-specific code in @samsa/runtime and apps/*', async () => {
    const code = "import { open } from 'node:fs/promises';\nexport const o = open;\nexport const p = process.pid;\n";
    expect((await lint(code, 'packages/runtime/src/node/boundary-probe.ts')).errorCount).toBe(0);
    expect((await lint(code, 'apps/broker-node/src/boundary-probe.ts')).errorCount).toBe(0);
  });

  it('allows Web-standard APIs in core packages', async () => {
    const code = 'export const e = new TextEncoder().encode("x");\nexport const v = new DataView(new ArrayBuffer(8));\n';
    expect((await lint(code, 'packages/log/src/boundary-probe.ts')).errorCount).toBe(0);
  });
});
