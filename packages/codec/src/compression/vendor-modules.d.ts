// Types for the parts of untyped CommonJS libraries this folder imports by deep path.
declare module 'snappyjs/snappy_compressor.js' {
  export class SnappyCompressor {
    constructor(uncompressed: Uint8Array);
    maxCompressedLength(): number;
    compressToBuffer(out: Uint8Array): number;
  }
}

declare module 'lz4js' {
  /** Compresses src[sIndex, sIndex + sLength) into dst as one LZ4 block; 0 when nothing matched. */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
}
