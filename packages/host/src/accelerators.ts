/**
 * Installs a runtime's native accelerators into the codec, once, for both apps: a CRC-32C
 * (`setCrc32cImplementation`) and a bounded gzip inflater (`setNativeDecompressor`). The
 * app loads them (Node and Deno: @samsa/runtime/node/accelerators) and passes them in; the
 * host stays runtime-free. The codec checks each function before it takes it (a known
 * CRC vector; pako's answers for gzip); a function that fails its check, or one the app
 * could not load, leaves the pure-JS implementation in place, and the reason is logged
 * (CRC-32C at debug, since pure JS is a normal choice on Deno; gzip at warn).
 *
 * Errors cross the seam by code: the inflater throws errors whose `code` is 'too-large' or
 * 'decompression', which become the codec's DecodeError of the same reason.
 */
import { DecodeError, setCrc32cImplementation, setNativeDecompressor } from '@samsa/codec';
import type { Logger } from '@samsa/broker';

/** A native function, or null and why it could not be loaded. */
export type LoadedAccelerator<F> = { readonly fn: F; readonly reason?: undefined } | { readonly fn: null; readonly reason: string };

export interface NativeAccelerators {
  readonly crc32c?: LoadedAccelerator<(bytes: Uint8Array, start?: number, end?: number, initial?: number) => number>;
  /** Throws errors with `code` 'too-large' (output past maxBytes) or 'decompression'. */
  readonly gunzip?: LoadedAccelerator<(data: Uint8Array, maxBytes: number) => Uint8Array>;
}

export type Implementation = 'native' | 'pure-js';

/** What got installed, and why not native when not. */
export interface AcceleratorOutcome {
  readonly implementation: Implementation;
  readonly reason?: string;
}

export interface InstalledAccelerators {
  readonly crc32c: AcceleratorOutcome;
  readonly gzip: AcceleratorOutcome;
}

function codecGunzip(fn: (data: Uint8Array, maxBytes: number) => Uint8Array): (data: Uint8Array, maxBytes: number) => Uint8Array {
  return (data, maxBytes) => {
    try {
      return fn(data, maxBytes);
    } catch (error) {
      const reason = (error as { code?: unknown }).code === 'too-large' ? 'too-large' : 'decompression';
      throw new DecodeError(reason, 'Compression', -1, 'gzip', (error as Error).message, { cause: error });
    }
  };
}

function install(name: string, loaded: LoadedAccelerator<unknown> | undefined, set: () => void): AcceleratorOutcome {
  if (loaded === undefined) return { implementation: 'pure-js', reason: `no native ${name} for this runtime` };
  if (loaded.fn === null) return { implementation: 'pure-js', reason: loaded.reason };
  try {
    set();
    return { implementation: 'native' };
  } catch (error) {
    return { implementation: 'pure-js', reason: (error as Error).message };
  }
}

export function installAccelerators(accelerators: NativeAccelerators, logger: Logger): InstalledAccelerators {
  const { crc32c, gunzip } = accelerators;
  const crc = install('crc32c', crc32c, () => setCrc32cImplementation(crc32c!.fn));
  logger.debug({ crc32c: crc.implementation, ...(crc.reason !== undefined ? { reason: crc.reason } : {}) }, 'crc32c implementation');
  const gzip = install('gzip', gunzip, () => setNativeDecompressor('gzip', codecGunzip(gunzip!.fn!)));
  if (gzip.implementation === 'native') logger.debug({ gzip: gzip.implementation }, 'gzip decompressor');
  else logger.warn({ gzip: gzip.implementation, reason: gzip.reason }, 'native gzip decompressor not installed: using pako');
  return { crc32c: crc, gzip };
}
