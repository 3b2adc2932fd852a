// The local metadata store: one process, one file in a directory (the single-broker default).
export { LocalMetadataStore, type LocalMetadataStoreOptions } from './local-metadata-store.ts';
export { LocalMetadataCorruptError, localMetadataFileName } from './local-file-format.ts';
