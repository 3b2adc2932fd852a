// @samsa/coordinator: pure state machines and the cluster metadata store: the
// consumer-group coordinator, and the metadata store interface (etcd-shaped) the
// controller and brokers share.
export * from './group/index.ts';
export * from './metadata/index.ts';
export * from './controller/index.ts';
