// The cluster metadata store (issue 13): the interface; the etcd, simulated and local stores follow.
export { CompactedError, MetadataStoreError } from './metadata-store.ts';
export type {
  Compare,
  CompareOp,
  KeepAliveOptions,
  KeyValue,
  Lease,
  MetadataStore,
  MetadataStoreErrorCode,
  RangeResult,
  Txn,
  TxnOp,
  TxnOpResult,
  TxnResult,
  WatchBatch,
  WatchEvent,
} from './metadata-store.ts';
export * from './simulated/index.ts';
export { EtcdMetadataStore } from './etcd/index.ts';
export type { EtcdMetadataStoreOptions } from './etcd/index.ts';
export * from './local/index.ts';
