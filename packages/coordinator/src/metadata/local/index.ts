// The local metadata store: one process, a snapshot and a journal in a directory (the single-broker default).
export { LocalMetadataStore, localJournalFileName, type LocalMetadataStoreOptions } from './local-metadata-store.ts';
export { LocalMetadataCorruptError, localMetadataFileName } from './local-file-format.ts';
