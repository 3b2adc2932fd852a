// @samsa/coordinator: pure state machines. Today: the consumer-group coordinator.
export * from './group/index.ts';
