// The etcd metadata store: etcd's v3 JSON gateway over the Web-standard fetch.
export { EtcdMetadataStore } from './etcd-metadata-store.ts';
export type { EtcdMetadataStoreOptions } from './etcd-metadata-store.ts';
export type { FetchFunction } from './etcd-gateway-client.ts';
