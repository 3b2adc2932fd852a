// @samsa/codec: the kafka wire protocol generated from the json message specs, record batch v2, crc-32c, compression codecs and msgpackr frames for cluster-internal rpc.
// Nothing is exported yet; see README.md.
export {};
