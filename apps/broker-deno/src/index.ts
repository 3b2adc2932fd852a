// @samsa/broker-deno: the same broker on deno (deno.
// Nothing is exported yet; see README.md.
export {};
