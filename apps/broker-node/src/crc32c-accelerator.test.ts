// The native CRC-32C the Node broker installs must agree with the pure-JS one on every
// range and when continuing from a previous CRC, or produce validation would diverge.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, crc32cImplementation, crc32cPureJs, setCrc32cImplementation } from '@samsa/codec';
import { silentLogger } from '@samsa/broker';
import { installAccelerators } from '@samsa/host';
import type { AcceleratorOutcome } from '@samsa/host';
import { loadNativeCrc32c } from '@samsa/runtime/node/accelerators';

/** @node-rs/crc32 (@samsa/runtime/node/accelerators) installed by the host, as both apps do. */
function installCrc32cAccelerator(): AcceleratorOutcome {
  return installAccelerators({ crc32c: loadNativeCrc32c() }, silentLogger).crc32c;
}

describe('crc32c accelerator', () => {
  afterAll(() => setCrc32cImplementation(null));

  it('installs the native implementation on this platform', () => {
    expect(installCrc32cAccelerator()).toEqual({ implementation: 'native' });
    expect(crc32cImplementation()).not.toBe(crc32cPureJs);
  });

  it('matches pure JS on random ranges and continuations', () => {
    installCrc32cAccelerator();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), fc.nat(), fc.nat(), (bytes, a, b, c) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1));
        const mid = start + (end - start === 0 ? 0 : c % (end - start + 1));
        expect(crc32c(bytes, start, end, 0)).toBe(crc32cPureJs(bytes, start, end, 0));
        const continued = crc32c(bytes, mid, end, crc32c(bytes, start, mid, 0));
        expect(continued).toBe(crc32cPureJs(bytes, start, end, 0));
      }),
    );
  });
});
