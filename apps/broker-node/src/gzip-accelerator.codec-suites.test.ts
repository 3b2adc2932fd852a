// The codec's compression suites (interop fixtures, zip bombs, corrupt input, properties),
// run again with node:zlib installed as the gzip decompressor: every gzip case there must
// hold for the native inflater too. Importing the suites registers their tests in this file;
// the file-level beforeAll installs the accelerator before any of them runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeDecompressor, setNativeDecompressor } from '@samsa/codec';
import { silentLogger } from '@samsa/broker';
import { installAccelerators } from '@samsa/host';
import { loadNativeGunzip } from '@samsa/runtime/node/accelerators';

// Imported by computed path so this package's typecheck does not pull in the codec's sources
// (they are typechecked in their own package).
const SUITES = ['compression.test.ts', 'compression.prop.test.ts'];
for (const suite of SUITES) await import(new URL(`../../../packages/codec/src/compression/${suite}`, import.meta.url).pathname);

beforeAll(() => {
  expect(installAccelerators({ gunzip: loadNativeGunzip() }, silentLogger).gzip).toEqual({ implementation: 'native' });
});
afterAll(() => setNativeDecompressor('gzip', null));

describe('codec compression suites with the gzip accelerator', () => {
  it('ran with node:zlib installed', () => {
    expect(nativeDecompressor('gzip')).not.toBeNull();
  });
});
