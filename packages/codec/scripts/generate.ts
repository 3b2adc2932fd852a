/**
 * Generates the Kafka protocol codecs from the vendored JSON message specs: the driver.
 *
 *   spec/*.json          -> src/kafka/generated/<kebab-name>.ts (one per message), index.ts, registry.ts, api-keys.ts
 *   spec/error-codes.json -> src/errors/error-codes.ts
 *   (same specs)          -> test/generated/arbitraries.ts (fast-check arbitraries for the round-trip test)
 *
 * Run: `pnpm --filter @samsa/codec generate` (tsx scripts/generate.ts). `generate()` is pure
 * (spec dir in, Map<relative path, text> out) so scripts/generate.test.ts can diff it against
 * the committed files. Only this file does I/O.
 *
 * One emitter per concern, all pure string builders over the spec model (spec-model.ts):
 * per message, message-emitter.ts stitches the type (type-emitter.ts), size (size-emitter.ts),
 * write (writer-emitter.ts) and read (reader-emitter.ts) functions and the default helpers
 * (default-emitter.ts); the listings come from registry-emitter.ts, the error table from
 * error-codes-emitter.ts, the test arbitraries from arbitraries-emitter.ts. The version is a
 * runtime argument of the generated code: every version-dependent choice is an `if (v >= n)`.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitArbitraries } from './arbitraries-emitter.ts';
import { emitErrorCodes } from './error-codes-emitter.ts';
import type { ErrorCodeSpec } from './error-codes-emitter.ts';
import { emitMessage } from './message-emitter.ts';
import { emitApiKeys, emitIndex, emitRegistry } from './registry-emitter.ts';
import { kebab, stripComments } from './spec-model.ts';
import type { Spec } from './spec-model.ts';

export { parseRange, kebab, stripComments } from './spec-model.ts';
export { emitMessage } from './message-emitter.ts';

export function loadSpecs(specDir: string): [Spec, string][] {
  return readdirSync(specDir)
    .filter((f) => f.endsWith('.json') && f !== 'error-codes.json')
    .sort()
    .map((f) => [JSON.parse(stripComments(readFileSync(join(specDir, f), 'utf8'))) as Spec, f]);
}

/** All generated files, keyed by path relative to the package root. */
export function generate(packageDir: string): Map<string, string> {
  const specDir = join(packageDir, 'spec');
  const specs = loadSpecs(specDir);
  const files = new Map<string, string>();
  for (const [spec, file] of specs) files.set(`src/kafka/generated/${kebab(spec.name)}.ts`, emitMessage(spec, file));
  files.set('src/kafka/generated/index.ts', emitIndex(specs));
  files.set('src/kafka/generated/registry.ts', emitRegistry(specs));
  files.set('src/kafka/generated/api-keys.ts', emitApiKeys(specs));
  files.set('test/generated/arbitraries.ts', emitArbitraries(specs));
  const codes = JSON.parse(readFileSync(join(specDir, 'error-codes.json'), 'utf8')) as ErrorCodeSpec[];
  files.set('src/errors/error-codes.ts', emitErrorCodes(codes));
  return files;
}

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = generate(packageRoot);
  for (const [rel, text] of files) {
    const path = join(packageRoot, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  console.log(`generated ${files.size} files`);
}
