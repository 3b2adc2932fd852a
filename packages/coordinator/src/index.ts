// @samsa/coordinator: pure state machines: the raft controller quorum and the consumer-group coordinator.
// Nothing is exported yet; see README.md.
export {};
