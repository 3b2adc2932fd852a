// @samsa/broker: the runtime-free broker: kafka request handlers composing log, codec, coordinator and replication.
// Nothing is exported yet; see README.md.
export {};
