// @samsa/client: producer, consumer and admin client over the kafka protocol.
// Nothing is exported yet; see README.md.
export {};
