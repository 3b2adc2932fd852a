// @samsa/log: the embeddable storage engine: segments, fixed-size offset and time indices, recovery, retention and compaction.
// Nothing is exported yet; see README.md.
export {};
