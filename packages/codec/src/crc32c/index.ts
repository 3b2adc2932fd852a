// Barrel for src/crc32c: CRC-32C (Castagnoli), pure JS slicing-by-16 with a pluggable accelerator.
export { crc32c, crc32cPureJs, setCrc32cImplementation, crc32cImplementation } from './crc32c.ts';
export type { Crc32cFunction } from './crc32c.ts';
