/**
 * gzip (Kafka codec 1) through fflate: pure JavaScript, synchronous, one of the fastest
 * JS inflaters. Kafka writes a plain single-member gzip stream (RFC 1952) around the
 * batch's records; decoding also accepts concatenated members.
 *
 * Bound: fflate's one-shot `gunzipSync` allocates whatever the trailer's ISIZE claims and
 * cannot detect output past its buffer, so decoding uses the streaming `Gunzip` and feeds
 * it the input in slices. DEFLATE expands at most 1032:1, so one slice of `sliceBytes`
 * yields at most 1032 × sliceBytes (+ fflate's 160 KiB working buffer); the running total
 * is checked after every slice, and a stream that passes `maxBytes` is abandoned there.
 * Peak memory: maxBytes (the output) + 1032 × sliceBytes + ~200 KiB.
 * A single-member stream's ISIZE trailer (output length mod 2^32) sizes the first
 * allocation (capped at maxBytes) and is checked against the output at the end.
 */
import { Gunzip, gzipSync } from 'fflate';
import { BoundedOutput, asDecodeError, corrupt } from './bounded-output.ts';

const CODEC = 'gzip';
const GZIP_HEADER_BYTES = 10;
const GZIP_TRAILER_BYTES = 8;
const DEFLATE_EXPANSION_MAX = 1032;
const SLICE_BYTES_MIN = 4 * 1024;
const SLICE_BYTES_MAX = 64 * 1024;

/** Kafka's default gzip level is 6 (zlib's default); fflate's default is also 6. */
export function gzipCompress(data: Uint8Array, level: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  return gzipSync(data, { level });
}

export function gzipDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  if (data.length < GZIP_HEADER_BYTES + GZIP_TRAILER_BYTES) throw corrupt(CODEC, `input of ${data.length} bytes is shorter than a gzip member`);
  if (data[0] !== 0x1f || data[1] !== 0x8b || data[2] !== 8) throw corrupt(CODEC, 'bad gzip magic or method');
  const n = data.length;
  const isize = (data[n - 4]! | (data[n - 3]! << 8) | (data[n - 2]! << 16) | (data[n - 1]! << 24)) >>> 0;
  // ISIZE (the last member's length mod 2^32) only sizes the first allocation: it may lie,
  // and in a truncated stream it is whatever bytes ended up last.
  const out = new BoundedOutput(CODEC, maxBytes, isize);
  let members = 1;
  try {
    const gunzip = new Gunzip((chunk: Uint8Array) => out.append(chunk));
    gunzip.onmember = () => {
      members++;
    };
    const sliceBytes = Math.min(SLICE_BYTES_MAX, Math.max(SLICE_BYTES_MIN, Math.floor(maxBytes / DEFLATE_EXPANSION_MAX)));
    if (n <= sliceBytes) {
      gunzip.push(data, true);
    } else {
      for (let start = 0; start < n; start += sliceBytes) {
        const end = Math.min(n, start + sliceBytes);
        gunzip.push(data.subarray(start, end), end === n);
      }
    }
  } catch (error) {
    throw asDecodeError(CODEC, error);
  }
  if (members === 1 && out.length % 2 ** 32 !== isize) throw corrupt(CODEC, `ISIZE trailer says ${isize} bytes, stream inflated to ${out.length}`);
  return out.finish();
}
