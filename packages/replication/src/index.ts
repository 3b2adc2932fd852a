// @samsa/replication: partition replica state machines (leader: follower leos, isr, high watermark, acks waiters; follower: fetch position, truncation by leader epoch).
// Nothing is exported yet; see README.md.
export {};
