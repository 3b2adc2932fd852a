/**
 * Compression codec ids of the batch attributes' low 3 bits (0 none, 1 gzip, 2 snappy,
 * 3 lz4, 4 zstd), re-exported from src/compression for record-batch's internal use. The
 * record-batch barrel does not re-export it (src/compression's barrel does).
 */
export type { CompressionType } from '../compression/index.ts';
