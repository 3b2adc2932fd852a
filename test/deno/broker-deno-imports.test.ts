// The Deno app is its runtime adapter plus the shared host (issue 12, part 2): no file of
// apps/broker-deno imports from apps/broker-node, whatever the path spelling (relative
// path, package name), and what both need comes from @samsa/host or @samsa/runtime.
import { describe, expect, it } from 'vitest';

const APP = new URL('../../apps/broker-deno/', import.meta.url);
const IMPORT = /\b(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
const FILES_MAX = 500;

async function sourcesUnder(dir: URL, out: URL[] = []): Promise<URL[]> {
  for await (const entry of Deno.readDir(dir)) {
    if (out.length >= FILES_MAX || entry.name === 'node_modules') continue;
    const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, dir);
    if (entry.isDirectory) await sourcesUnder(url, out);
    else if (/\.(ts|mjs|js)$/.test(entry.name)) out.push(url);
  }
  return out;
}

describe('apps/broker-deno imports', () => {
  it('nothing from apps/broker-node', async () => {
    const files = await sourcesUnder(APP);
    expect(files.length).toBeGreaterThan(3);
    const offending: string[] = [];
    for (const file of files) {
      const text = await Deno.readTextFile(file);
      for (const m of text.matchAll(IMPORT)) {
        const specifier = m[1] ?? m[2]!;
        const target = specifier.startsWith('.') ? new URL(specifier, file).pathname : specifier;
        if (/broker-node/.test(target)) offending.push(`${file.pathname.slice(APP.pathname.length)}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
