// @samsa/broker-node: the `samsa` cli and the broker on node (node:net, node:fs).
// Nothing is exported yet; see README.md.
export {};
