/**
 * makeTempDir: a fresh directory under the OS temp dir, for tests and benchmarks.
 * The caller removes it (`fs.remove(dir, { recursive: true })`).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function makeTempDir(prefix = 'samsa-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
