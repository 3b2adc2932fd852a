/**
 * Real etcd members for the cluster suites. The implementation is @samsa/bench's
 * (apps/bench/src/etcd-process.ts), shared with the cluster benches, which may not import
 * from test/.
 */
export { etcdctl, startEtcd } from '@samsa/bench';
export type { EtcdCluster, EtcdMember } from '@samsa/bench';
