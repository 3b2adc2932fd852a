/**
 * setNativeDecompressor: installs a runtime's native decompressor for a codec (today gzip)
 * after checking that it answers exactly as the pure-JS one on probe vectors: a round trip
 * (tight and with room), two concatenated members, the bound one byte below the size and at
 * zero ('too-large'), a truncated and a corrupted member ('decompression'). On any difference
 * it throws an Error naming the probe and keeps the previous implementation, so an app can
 * fall back to pure JS. `null` restores pure JS.
 */
import { DecodeError } from '../decode-error.ts';
import { gzipCompress, gzipDecompressPureJs } from './gzip.ts';
import {
  callNativeDecompressor,
  installCheckedDecompressor,
  type NativeDecompressor,
  type NativeDecompressorCodec,
} from './native-decompressor.ts';

interface DecompressorReference {
  readonly decompress: NativeDecompressor;
  readonly compress: (data: Uint8Array) => Uint8Array;
}

const REFERENCES: Record<NativeDecompressorCodec, DecompressorReference> = {
  gzip: { decompress: gzipDecompressPureJs, compress: (data) => gzipCompress(data) },
};

export function setNativeDecompressor(codec: NativeDecompressorCodec, fn: NativeDecompressor | null): void {
  if (fn !== null) selfCheck(codec, fn, REFERENCES[codec]);
  installCheckedDecompressor(codec, fn);
}

function selfCheck(codec: NativeDecompressorCodec, fn: NativeDecompressor, reference: DecompressorReference): void {
  const text = new TextEncoder();
  const input = text.encode('samsa native decompressor self-check: '.repeat(40));
  const second = text.encode('second member');
  const member = reference.compress(input);
  const two = concat(member, reference.compress(second));
  const fail = (what: string): never => {
    throw new Error(`native ${codec} decompressor failed its self-check: ${what}`);
  };
  const outcome = (impl: NativeDecompressor, data: Uint8Array, maxBytes: number): string => {
    try {
      return `ok ${hex(callNativeDecompressor(codec, impl, data, maxBytes))}`;
    } catch (error) {
      return error instanceof DecodeError ? `error ${error.reason}` : `throws ${String(error)}`;
    }
  };
  const corrupted = member.slice();
  corrupted[corrupted.length - 8]! ^= 0xff; // the member's CRC-32
  const probes: ReadonlyArray<[string, Uint8Array, number]> = [
    ['round trip', member, input.length],
    ['round trip with room to spare', member, input.length * 2],
    ['two members', two, input.length + second.length],
    ['bound one byte below the size', member, input.length - 1],
    ['bound of zero', member, 0],
    ['truncated member', member.subarray(0, member.length - 5), input.length],
    ['corrupted member', corrupted, input.length],
  ];
  for (const [what, data, maxBytes] of probes) {
    const want = outcome(reference.decompress, data, maxBytes);
    const got = outcome(fn, data, maxBytes);
    if (got !== want) fail(`${what}: ${got.slice(0, 80)} instead of ${want.slice(0, 80)}`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
