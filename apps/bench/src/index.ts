// @samsa/bench: the benchmark harness: scenarios, baseline peers (plain file writes, sockets, redis, nats) and reports.
// Nothing is exported yet; see README.md.
export {};
