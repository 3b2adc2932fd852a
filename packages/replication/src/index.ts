// @samsa/replication: partition replica state machines (leader: follower LEOs, ISR, high
// watermark, acks waiters; follower: fetch position, truncation by leader epoch). See README.md.
export * from './partition-state.ts';
export * from './epoch-history.ts';
export * from './replica-fetch.ts';
export { FollowerProgress } from './follower-progress.ts';
export type { ProduceWaiter } from './produce-waiters.ts';
export * from './leader-types.ts';
export * from './leader-replica.ts';
export * from './follower-replica.ts';
