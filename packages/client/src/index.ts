// @samsa/client: a runtime-free Kafka client (producer first; consumer and admin later). See README.md.
export {
  KafkaClientError,
  KafkaError,
  KafkaTimeoutError,
  KafkaAbortError,
  KafkaConnectionError,
  UnsupportedVersionError,
  KafkaStateError,
  RecordTooLargeError,
  isRetriable,
} from './errors.ts';
export type { KafkaClientErrorCode } from './errors.ts';
export { BrokerConnection } from './connection/broker-connection.ts';
export type { BrokerConnectionOptions, KafkaApi, RequestOptions } from './connection/broker-connection.ts';
export { CLIENT_API_VERSIONS } from './connection/client-api-versions.ts';
export type { VersionRange } from './connection/client-api-versions.ts';
export { Cluster } from './cluster/cluster.ts';
export type { ClusterOptions, TopicWaitOptions } from './cluster/cluster.ts';
export { MetadataCache } from './cluster/metadata-cache.ts';
export type { BrokerInfo, PartitionInfo, TopicInfo } from './cluster/metadata-cache.ts';
export { parseBootstrap } from './cluster/bootstrap.ts';
export type { BrokerAddress } from './cluster/bootstrap.ts';
export { Producer } from './producer/producer.ts';
export type { ProducerRecord, SendRequest, SendOptions } from './producer/producer.ts';
export type { ProducerOptions, Acks } from './producer/producer-options.ts';
export type { RecordMetadata } from './producer/producer-batch.ts';
export { stringSerde, jsonSerde } from './serde/serializers.ts';
export type { Serde } from './serde/serializers.ts';
export { murmur2Partition, StickyPartitioner, defaultPartitioner } from './partitioners/index.ts';
export type { Partitioner, PartitionerRecord } from './partitioners/index.ts';
