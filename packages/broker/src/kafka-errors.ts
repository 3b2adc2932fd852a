/**
 * The Kafka error codes the broker answers with: the codec's generated table (from
 * shared/kafka-docs/error-codes.json), under the short name the handlers use. Errors go
 * back in responses, never thrown.
 */
import { ErrorCode } from '@samsa/codec';

export const Err = ErrorCode;

export type ErrCode = (typeof Err)[keyof typeof Err];
