// CI check: regenerating from spec/ in memory must reproduce the committed generated files
// byte for byte (run `pnpm --filter @samsa/codec generate` after changing a spec or the generator).
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate, packageRoot, parseRange, kebab, stripComments } from './generate.ts';

describe('generate.ts', () => {
  it('committed generated files match a fresh run', () => {
    const files = generate(packageRoot);
    for (const [rel, text] of files) expect(readFileSync(join(packageRoot, rel), 'utf8'), rel).toBe(text);
    // and no stale file is left behind in src/kafka/generated
    const expected = new Set([...files.keys()].filter((p) => p.startsWith('src/kafka/generated/')).map((p) => p.slice('src/kafka/generated/'.length)));
    expect(readdirSync(join(packageRoot, 'src/kafka/generated')).sort()).toEqual([...expected].sort());
  });

  it('parses version ranges, names and comments', () => {
    expect(parseRange('3+')).toEqual([3, Infinity]);
    expect(parseRange('0-2')).toEqual([0, 2]);
    expect(parseRange('5')).toEqual([5, 5]);
    expect(parseRange('none')).toBeNull();
    expect(kebab('DescribeUserScramCredentialsRequest')).toBe('describe-user-scram-credentials-request');
    expect(kebab('KRaftVersionRecord')).toBe('k-raft-version-record');
    expect(JSON.parse(stripComments('// licence\n{ "a": 1 }\n  // x\n'))).toEqual({ a: 1 });
  });
});
