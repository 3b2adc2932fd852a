/**
 * Topic name rules, as Kafka's `Topic.validate`: 1-249 characters of [a-zA-Z0-9._-], not
 * "." or "..". Internal names (`__consumer_offsets`, `__transaction_state`) are reserved
 * for the broker; names that differ only by '.' vs '_' collide in metric names, so Kafka
 * refuses the second one.
 */

export const TOPIC_NAME_LENGTH_MAX = 249;
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

/** Returns why `name` is not a legal topic name, or null. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_LENGTH_MAX} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** The form two colliding names share. */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}
