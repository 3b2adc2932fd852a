/**
 * How the KafkaJS workload classifies a failed operation (issue 15): `fail` only when the
 * record (or commit) was certainly not written, else `info` (indeterminate).
 *
 * KafkaJS wraps errors: KafkaJSNumberOfRetriesExceeded (and other wrappers) keep the
 * previous error in `cause`; a broker's answer is a KafkaJSProtocolError with `type` (the
 * Kafka error name) and `code`. The innermost protocol error decides:
 *   - its type is in DETERMINISTIC_REJECTIONS (the broker's answer depends only on the
 *     batch's bytes or static config, so every attempt of the batch got it and none was
 *     appended) -> fail;
 *   - anything else -> info: timeouts, connection loss, NOT_LEADER, NOT_ENOUGH_REPLICAS
 *     (retried: an earlier attempt that timed out may have been appended; the last answer
 *     speaks only for the last attempt), errors without a broker answer.
 * The chain is followed at most CAUSE_DEPTH_MAX links.
 */
export const DETERMINISTIC_REJECTIONS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_REQUIRED_ACKS',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

const CAUSE_DEPTH_MAX = 16;

export interface Classified {
  readonly kind: 'fail' | 'info';
  /** The innermost error's Kafka type if any, else its name and message. */
  readonly error: string;
}

export function classifyKafkaJsError(error: unknown): Classified {
  let innermost: unknown = error;
  let protocolType: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && current !== undefined && current !== null; depth++) {
    innermost = current;
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string') protocolType = type;
    current = (current as { cause?: unknown }).cause;
  }
  if (protocolType !== undefined) return { kind: DETERMINISTIC_REJECTIONS.has(protocolType) ? 'fail' : 'info', error: protocolType };
  const described = innermost instanceof Error ? `${innermost.name}: ${innermost.message}` : String(innermost);
  return { kind: 'info', error: described.slice(0, 500) };
}
