/**
 * Interop and bounds of the compression codecs:
 * - frames made by the reference tools (gzip, lz4, zstd CLIs; libsnappy raw blocks and the
 *   xerial framing around them) decode to the original bytes;
 * - bombs (100 MB of zeros in 3 KB of zstd, 8 MiB of zeros in gzip/lz4, a snappy length
 *   that lies) throw DecodeError('too-large') for a small maxBytes;
 * - BoundedOutput, which every decoder writes through, never holds more than its bound;
 * - lying size fields and truncation throw DecodeError('decompression').
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { CompressionType, compress, compressionName, decompress, initCompression } from './index.ts';
import { BoundedOutput } from './bounded-output.ts';
import { xxh32 } from './xxh32.ts';
import { BIG_REPEATS, BOMB_BYTES, interopFixtures as fx } from './fixtures/interop-fixtures.ts';

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const small = fromBase64(fx.small);
const big = new Uint8Array(small.length * BIG_REPEATS);
for (let i = 0; i < BIG_REPEATS; i++) big.set(small, i * small.length);
const MiB = 1024 * 1024;
/** Generous: the bound is structural (BoundedOutput); this only catches a decoder that runs on. */
const HANG_GUARD_MS = 5000;
/** Real elapsed time: the hang guard times the decoder itself, never a simulated clock. */
// eslint-disable-next-line no-restricted-properties -- the one real-time read of this test (codec has no runtime Clock)
const realNowMs = (): number => performance.now();

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw new Error(`expected a DecodeError, got ${String(error)}`);
  }
  throw new Error('expected a DecodeError, nothing was thrown');
}

describe('compression codec ids', () => {
  it('names the five Kafka codecs', () => {
    expect([0, 1, 2, 3, 4].map((t) => compressionName(t as CompressionType))).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    expect(CompressionType.zstd).toBe(4);
  });
  it('rejects unknown codec ids with a DecodeError', () => {
    expect(decodeError(() => decompress(7 as CompressionType, small, MiB)).reason).toBe('bad-value');
  });
});

describe('interop with the reference implementations', () => {
  beforeAll(async () => {
    await initCompression();
  });
  const cases: [string, CompressionType, string, Uint8Array][] = [
    ['gzip -9', CompressionType.gzip, fx.gzip9, small],
    ['gzip -1 -n', CompressionType.gzip, fx.gzip1, small],
    ['two concatenated gzip members', CompressionType.gzip, fx.gzipMulti, concat(small, small)],
    ['lz4 CLI default (4 MiB blocks, content checksum)', CompressionType.lz4, fx.lz4Default, small],
    ['lz4 linked 64 KiB blocks, block checksums, content size', CompressionType.lz4, fx.lz4LinkedChecksums, big],
    ['lz4 independent 64 KiB blocks', CompressionType.lz4, fx.lz4Big, big],
    ['zstd -3', CompressionType.zstd, fx.zstd3, small],
    ['zstd -19 --no-check', CompressionType.zstd, fx.zstd19, big],
    ['zstd from stdin (no content size)', CompressionType.zstd, fx.zstdStreamed, big],
    ['two concatenated zstd frames', CompressionType.zstd, fx.zstdTwoFrames, concat(small, small)],
    ['raw snappy from libsnappy', CompressionType.snappy, fx.snappyRaw, small],
    ['xerial-framed libsnappy blocks', CompressionType.snappy, fx.snappyXerial, big],
  ];
  for (const [name, type, encoded, expected] of cases) {
    it(`decodes ${name}`, () => {
      expectSameBytes(decompress(type, fromBase64(encoded), 10 * MiB), expected);
    });
    it(`rejects ${name} with maxBytes one below its size`, () => {
      expect(decodeError(() => decompress(type, fromBase64(encoded), expected.length - 1)).reason).toBe('too-large');
    });
  }

  it('writes snappy in the xerial framing Java Kafka uses', () => {
    const encoded = compress(CompressionType.snappy, big);
    expect(Array.from(encoded.subarray(0, 16))).toEqual([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    expectSameBytes(decompress(CompressionType.snappy, encoded, big.length), big);
  });

  it('writes lz4 frames with a correct (KIP-57) header checksum and independent 64 KiB blocks', () => {
    const encoded = compress(CompressionType.lz4, big);
    expect(Array.from(encoded.subarray(0, 6))).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]);
    expect(encoded[6]).toBe((xxh32(encoded, 4, 6) >>> 8) & 0xff);
    expectSameBytes(decompress(CompressionType.lz4, encoded, big.length), big);
  });

  it('computes xxh32 test vectors', () => {
    expect(xxh32(new Uint8Array(0))).toBe(0x02cc5d05);
    expect(xxh32(new TextEncoder().encode('abc'))).toBe(0x32d153ff);
    expect(xxh32(new TextEncoder().encode('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
});

describe('compression bombs stop at maxBytes', () => {
  beforeAll(async () => {
    await initCompression();
  });
  it('zstd: 100 MB of zeros without a content size stops at the first block past the bound', () => {
    const bomb = fromBase64(fx.zstdBombStreamed);
    expect(bomb.length).toBeLessThan(4096);
    const started = realNowMs();
    const error = decodeError(() => decompress(CompressionType.zstd, bomb, MiB));
    expect(error.reason).toBe('too-large');
    expect(realNowMs() - started).toBeLessThan(HANG_GUARD_MS);
    expect(decodeError(() => decompress(CompressionType.zstd, bomb, 8 * MiB)).reason).toBe('too-large');
  });
  it('zstd: a declared content size over the bound is rejected before decoding', () => {
    const error = decodeError(() => decompress(CompressionType.zstd, fromBase64(fx.zstdBombSized), MiB));
    expect(error.reason).toBe('too-large');
    expect(error.message).toContain(String(BOMB_BYTES));
  });
  it('zstd: a window over max(maxBytes, 8 MiB) is rejected', () => {
    // Frame header: magic, FHD 0 (no content size, window descriptor follows), window 2^30.
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, (30 - 10) << 3, 0x01, 0x00, 0x00]);
    expect(decodeError(() => decompress(CompressionType.zstd, frame, MiB)).reason).toBe('too-large');
  });

  const zeros = new Uint8Array(8 * MiB);
  let gzipBomb: Uint8Array | undefined;
  for (const type of [CompressionType.gzip, CompressionType.lz4, CompressionType.snappy, CompressionType.zstd]) {
    it(`${compressionName(type)}: 8 MiB of zeros into a 64 KiB bound throws too-large`, () => {
      const bomb = compress(type, zeros);
      if (type === CompressionType.gzip) gzipBomb = bomb;
      const started = realNowMs();
      expect(decodeError(() => decompress(type, bomb, 64 * 1024)).reason).toBe('too-large');
      expect(realNowMs() - started).toBeLessThan(HANG_GUARD_MS);
    });
  }

  it('gzip: an ISIZE trailer that understates the output does not lift the bound', () => {
    const bomb = (gzipBomb ?? compress(CompressionType.gzip, zeros)).slice();
    bomb.set([0x10, 0, 0, 0], bomb.length - 4);
    expect(decodeError(() => decompress(CompressionType.gzip, bomb, 64 * 1024)).reason).toBe('too-large');
    expect(decodeError(() => decompress(CompressionType.gzip, bomb, 16 * MiB)).reason).toBe('decompression');
  });
  it('snappy: a declared length of 4 GiB - 1 is rejected before allocating', () => {
    expect(decodeError(() => decompress(CompressionType.snappy, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), MiB)).reason).toBe('too-large');
  });
  it('lz4: a declared content size over the bound is rejected before decoding', () => {
    const frame = fromBase64(fx.lz4LinkedChecksums);
    expect(decodeError(() => decompress(CompressionType.lz4, frame, 1000)).message).toContain(String(big.length));
  });
  it('none: a payload over the bound is too large', () => {
    expect(decodeError(() => decompress(CompressionType.none, small, 10)).reason).toBe('too-large');
  });
});

describe('BoundedOutput', () => {
  it('never allocates past bytesMax and throws too-large before growing past it', () => {
    const out = new BoundedOutput('test', 10_000, 100);
    out.append(new Uint8Array(6000));
    expect(out.bytes.length).toBeLessThanOrEqual(10_000);
    const error = decodeError(() => out.append(new Uint8Array(4001)));
    expect(error.reason).toBe('too-large');
    expect(out.bytes.length).toBeLessThanOrEqual(10_000);
    expect(out.length).toBe(6000);
    out.append(new Uint8Array(4000));
    expect(out.finish().length).toBe(10_000);
  });
  it('caps a lying size hint at bytesMax', () => {
    expect(new BoundedOutput('test', 1000, 2 ** 32).bytes.length).toBe(1000);
  });
});

describe('corrupt input', () => {
  it('truncated frames throw decompression', () => {
    for (const [type, encoded] of [
      [CompressionType.gzip, fx.gzip9],
      [CompressionType.lz4, fx.lz4Default],
      [CompressionType.zstd, fx.zstd3],
      [CompressionType.snappy, fx.snappyXerial],
    ] as const) {
      const bytes = fromBase64(encoded);
      const error = decodeError(() => decompress(type, bytes.subarray(0, bytes.length - 7), MiB));
      expect(error.reason).toBe('decompression');
      expect(error.path).toBe(compressionName(type));
    }
  });
  it('lz4: a flipped content byte fails the content checksum', () => {
    const bytes = fromBase64(fx.lz4Default).slice();
    bytes[20] = bytes[20]! ^ 0x01;
    expect(decodeError(() => decompress(CompressionType.lz4, bytes, MiB)).reason).toBe('decompression');
  });
  it('lz4: a bad header checksum is rejected', () => {
    const bytes = fromBase64(fx.lz4Default).slice();
    bytes[6] = bytes[6]! ^ 0xff;
    expect(decodeError(() => decompress(CompressionType.lz4, bytes, MiB)).message).toContain('header checksum');
  });
  it('snappy: a block that declares more than it produces is rejected', () => {
    const raw = fromBase64(fx.snappyRaw).slice();
    raw[0] = (raw[0]! + 1) | 0x80; // small.length is > 127, so byte 0 carries the low 7 bits
    expect(decodeError(() => decompress(CompressionType.snappy, raw, MiB)).reason).toBe('decompression');
  });
});

/** Fast byte comparison (deep toEqual walks 100 KiB arrays slowly); reports the first difference. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  let firstDifference = -1;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      firstDifference = i;
      break;
    }
  }
  expect(firstDifference).toBe(-1);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
