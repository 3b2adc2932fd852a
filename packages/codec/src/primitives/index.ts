// Barrel for src/primitives: the byte-level Reader/Writer every codec in this package uses.
export { Reader } from './reader.ts';
export { Writer, sizeUvarint, sizeVarint, sizeVarlong, sizeLength, sizeString, sizeNullableString, sizeBytes, sizeNullableBytes, sizeArrayLength } from './writer.ts';
export { EncodeError } from './encode-error.ts';
export { utf8Length } from './utf8.ts';
export { ZERO_UUID, isUuid, uuidToString, uuidWrite } from './uuid.ts';
