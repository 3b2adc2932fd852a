// Types for the parts of untyped CommonJS libraries this folder imports by deep path.
declare module 'snappyjs/snappy_compressor.js' {
  export class SnappyCompressor {
    constructor(uncompressed: Uint8Array);
    maxCompressedLength(): number;
    compressToBuffer(out: Uint8Array): number;
  }
}
