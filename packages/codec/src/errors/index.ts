// Barrel for src/errors: Kafka protocol error codes (generated from spec/error-codes.json).
export { ErrorCode, errorInfo } from './error-codes.ts';
export type { ErrorCodeName, ErrorCodeValue, ErrorInfo } from './error-codes.ts';
