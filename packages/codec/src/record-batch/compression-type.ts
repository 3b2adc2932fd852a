/**
 * Compression codec ids of the batch attributes' low 3 bits. Mirrors `CompressionType` of
 * src/compression (structurally identical), kept here so record-batch compiles on its own.
 */
export type CompressionType = 0 | 1 | 2 | 3 | 4;
export const COMPRESSION_NONE = 0;
