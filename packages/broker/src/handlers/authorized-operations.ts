/**
 * Authorized operations (KIP-430) as a broker without an authorizer answers them.
 *
 * Metadata (v8+), DescribeGroups (v3+) and DescribeCluster carry a 32-bit field: bit `c` is
 * set when the caller may perform the ACL operation whose code is `c`. This broker has no
 * authorizer, so, like Kafka with none configured, it grants every operation the resource
 * type supports. The sets follow Kafka 3.9's `AclEntry.supportedOperations` (the release
 * whose message specs this broker serves); Kafka 4.0 added DESCRIBE_CONFIGS and
 * ALTER_CONFIGS to groups with group configs, which this broker does not have.
 *
 * When a request does not ask (include_*_authorized_operations false, or a version without
 * the flag) the field keeps Kafka's "not requested" value, INT32_MIN.
 */

/** AclOperation codes (org.apache.kafka.common.acl.AclOperation). */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

/** The value of an authorized-operations field the request did not ask for. */
export const AUTHORIZED_OPERATIONS_NOT_REQUESTED = -2147483648;

/** A 32-bit field with bit `code` set for each operation code (Kafka's Utils.to32BitField). */
export function operationsBitfield(codes: readonly number[]): number {
  let field = 0;
  for (const code of codes) {
    if (!Number.isInteger(code) || code < 0 || code > 31) throw new Error(`operation code ${code} does not fit a 32-bit field`);
    field |= 1 << code;
  }
  return field;
}

const O = AclOperation;

/** Every operation on a topic: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (3576). */
export const TOPIC_AUTHORIZED_OPERATIONS = operationsBitfield([O.READ, O.WRITE, O.CREATE, O.DELETE, O.ALTER, O.DESCRIBE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]);

/** Every operation on a consumer group: READ, DELETE, DESCRIBE (328). */
export const GROUP_AUTHORIZED_OPERATIONS = operationsBitfield([O.READ, O.DELETE, O.DESCRIBE]);

/** Every operation on the cluster: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE (8096). */
export const CLUSTER_AUTHORIZED_OPERATIONS = operationsBitfield([O.CREATE, O.ALTER, O.DESCRIBE, O.CLUSTER_ACTION, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS, O.IDEMPOTENT_WRITE]);
