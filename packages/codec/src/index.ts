// @samsa/codec: the byte layer. Each area has its own folder and barrel.
// `./wire.ts` (also the `@samsa/codec/wire` entry) is everything but the msgpackr RPC frames.
export * from './wire.ts';
export * from './rpc/index.ts';
