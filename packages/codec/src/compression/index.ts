// Barrel for src/compression: Kafka's five batch compression codecs with bounded decompression.
export { CompressionType, compressionName, isCompressionType } from './compression-type.ts';
export type { CompressionName } from './compression-type.ts';
export { compress, decompress, initCompression } from './compress.ts';
export { gzipCompress, gzipDecompress, gzipDecompressPureJs } from './gzip.ts';
export { nativeDecompressor } from './native-decompressor.ts';
export type { NativeDecompressor, NativeDecompressorCodec } from './native-decompressor.ts';
export { setNativeDecompressor } from './set-native-decompressor.ts';
export { snappyCompress, snappyCompressRaw, snappyDecompress, isXerialFramed } from './snappy.ts';
export { lz4Compress, lz4Decompress } from './lz4-frame.ts';
export { zstdCompress, zstdDecompress, isZstdReady, ZSTD_LEVEL_DEFAULT } from './zstd.ts';
export { xxh32 } from './xxh32.ts';
