/**
 * A `samsa-metadata.json` exactly as the broker wrote it before the local metadata store
 * (issue 13): made by the code of that time (Broker.open on a memory fs, node.id=1, seed
 * 13, offsets.topic.num.partitions=3), not by hand. Four topics (with and without config
 * overrides, `__consumer_offsets` among them, `plain_topic` grown from 1 to 4 partitions),
 * dynamic broker configs and a producer-id block. The migration tests load it.
 */
export const LEGACY_METADATA_JSON = `{
 "formatVersion": 1,
 "clusterId": "JcNQmTS6ctUO-qWGbY0EyQ",
 "producerIdBlockEnd": 1000,
 "topics": [
  {
   "name": "orders",
   "topicId": "b8js_5S72A1jjeJL8JpSeg",
   "partitions": 3,
   "configs": {
    "retention.ms": "86400000",
    "cleanup.policy": "delete"
   }
  },
  {
   "name": "compacted.users",
   "topicId": "WzUPXR5zBPXkFxGp18oZpg",
   "partitions": 2,
   "configs": {
    "cleanup.policy": "compact",
    "min.compaction.lag.ms": "1000"
   }
  },
  {
   "name": "plain_topic",
   "topicId": "5PHPDn8mlEuGOLMgzS0i-A",
   "partitions": 4,
   "configs": {}
  },
  {
   "name": "__consumer_offsets",
   "topicId": "8kjFuN0Na6izuqvQrqScYQ",
   "partitions": 3,
   "configs": {
    "cleanup.policy": "compact",
    "compression.type": "producer",
    "segment.bytes": "104857600"
   }
  }
 ],
 "dynamicBrokerConfigs": {
  "log.retention.ms": "604800000",
  "message.max.bytes": "2000000"
 }
}`;
