// No import cycles inside packages/*/src (issue 12): the whole tree is walked on every
// `npm test`, type-only imports included, and each cycle found is printed as a path. The
// checker itself is tested on planted trees: a two-file type cycle, a three-file cycle
// through a re-export and a self-import are found; a diamond and package imports are not
// cycles.
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeCycle, importCycles, importGraphOf, relativeImportsOf } from './import-graph.ts';

const root = new URL('../../', import.meta.url).pathname;

function packageSourceRoots(): string[] {
  return readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name, 'src'));
}

describe('import cycles', () => {
  it('packages/*/src has none', () => {
    const graph = importGraphOf(packageSourceRoots());
    expect(graph.size).toBeGreaterThan(100); // the walk found the tree
    expect(importCycles(graph).map((c) => describeCycle(c, root))).toEqual([]);
  });
});

describe('import cycle checker', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  function plant(files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), 'samsa-cycles-'));
    const src = join(dir, 'packages', 'probe', 'src');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(src, name, '..'), { recursive: true });
      writeFileSync(join(src, name), text);
    }
    return src;
  }

  it('finds a planted cycle of type-only imports', () => {
    const src = plant({
      'context.ts': "import type { Service } from './service.ts';\nexport interface Context { service: Service }\n",
      'service.ts': "import type { Context } from './context.ts';\nexport interface Service { run(ctx: Context): void }\n",
    });
    const cycles = importCycles(importGraphOf([src]));
    expect(cycles).toHaveLength(1);
    expect(describeCycle(cycles[0]!, src).split(' → ').sort()).toEqual(['context.ts', 'context.ts', 'service.ts'].sort());
  });

  it('finds a three-file cycle through a re-export and a subdirectory, and a self-import', () => {
    const src = plant({
      'a.ts': "export { b } from './handlers/b.ts';\n",
      'handlers/b.ts': "import { c } from '../c.ts';\nexport const b = c;\n",
      'c.ts': "import * as a from './a.ts';\nexport const c = 1;\nexport const again = a;\n",
      'self.ts': "import { s } from './self.ts';\nexport const s = 1;\nexport const t = s;\n",
    });
    const cycles = importCycles(importGraphOf([src])).map((c) => describeCycle(c, src));
    expect(cycles).toHaveLength(2);
    expect(cycles.find((c) => c.includes('handlers/b.ts'))!.split(' → ')).toHaveLength(4);
    expect(cycles).toContain('self.ts → self.ts');
  });

  it('passes a diamond, package imports and dynamic imports', () => {
    const src = plant({
      'top.ts': "import { l } from './left.ts';\nimport { r } from './right.ts';\nexport const t = l + r;\n",
      'left.ts': "import { b } from './bottom.ts';\nexport const l = b;\n",
      'right.ts': "import { b } from './bottom.ts';\nimport { ErrorCode } from '@samsa/codec';\nexport const r = b + ErrorCode.NONE;\n",
      'bottom.ts': "export const b = 1;\nexport const later = () => import('./top.ts');\n",
    });
    const graph = importGraphOf([src]);
    expect(graph.size).toBe(4);
    expect(importCycles(graph)).toEqual([]);
  });

  it('reads import, import type and export-from specifiers, relative ones only', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export type { D } from './d.ts';",
      "import { e } from '@samsa/codec';",
      'export const x = 1;',
    ].join('\n');
    expect(relativeImportsOf('probe.ts', text)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts']);
  });
});
