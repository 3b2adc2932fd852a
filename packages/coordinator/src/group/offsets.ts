/**
 * Offsets: OffsetCommit, OffsetFetch, OffsetDelete and retention, as functions over
 * CoordinatorState.
 *
 * A group commit needs the current generation and a known member (not during
 * CompletingRebalance); a simple commit (generation -1) is accepted for an unknown or Empty
 * group (an unknown group is created, with no protocol type). A commit becomes visible to
 * OffsetFetch, and is acknowledged, only after its append completes. Expiration (Kafka ≥
 * 2.1), run by the facade every `offsetsRetentionCheckIntervalMs`: an explicit expire
 * timestamp wins; otherwise offsets of an Empty group expire `offsetsRetentionMs` after the
 * group became Empty, of a group without protocol type that long after the commit, of a
 * Stable consumer group only for topics it no longer subscribes to. Expired offsets become
 * tombstones; an Empty group left without offsets is tombstoned and forgotten.
 *
 * Invariants: OffsetFetch never returns an offset whose append has not completed; a group
 * with commits in flight (`pendingAppends` > 0) is skipped by retention. Single-threaded.
 */
import { ErrorCode as E, utf8Length } from '@samsa/codec';
import type { OffsetFetchResponseOffsetFetchResponseTopics } from '@samsa/codec';
import { encodeGroupMetadataRecord, encodeOffsetCommitRecord } from './consumer-offsets-records.ts';
import type { RawRecord } from './consumer-offsets-records.ts';
import { subscribedTopicNames } from './consumer-group.ts';
import { consumerGroupCommitError, consumerGroupFetchError } from './consumer-group-describe.ts';
import { commitAppendError } from './coordinator-state.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import { newGroup, offsetCount } from './group-metadata.ts';
import type { GroupMetadata, OffsetEntry } from './group-metadata.ts';
import type { OffsetCommitInput, OffsetDeleteInput, OffsetFetchInput } from './types.ts';

export function offsetCommit(s: CoordinatorState, requestId: number, req: OffsetCommitInput): void {
  const now = s.nowMs;
  const groupError = commitGroupError(s, req, now);
  const topics = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: groupError ?? (E.NONE as number) })) }));
  const respond = (): void => s.respond(requestId, { api: 'OffsetCommit', body: { throttleTimeMs: 0, topics } });
  const g = s.groups.get(req.groupId);
  if (groupError !== null || g === undefined) {
    respond();
    return;
  }
  const records: RawRecord[] = [];
  const accepted: { topic: string; partition: number; entry: OffsetEntry; result: { errorCode: number } }[] = [];
  for (let ti = 0; ti < req.topics.length; ti++) {
    const t = req.topics[ti]!;
    for (let pi = 0; pi < t.partitions.length; pi++) {
      const p = t.partitions[pi]!;
      const result = topics[ti]!.partitions[pi]!;
      const metadata = p.committedMetadata ?? '';
      if (utf8Length(metadata) > s.config.offsetMetadataMaxBytes) result.errorCode = E.OFFSET_METADATA_TOO_LARGE;
      else if (!s.partitionExists(t.name, p.partitionIndex)) result.errorCode = E.UNKNOWN_TOPIC_OR_PARTITION;
      else if (!Number.isSafeInteger(p.committedOffset)) result.errorCode = E.INVALID_COMMIT_OFFSET_SIZE;
      else {
        const entry: OffsetEntry = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestampMs: p.commitTimestamp >= 0 ? p.commitTimestamp : now,
          expireTimestampMs: req.retentionTimeMs > 0 ? now + req.retentionTimeMs : -1,
        };
        records.push(encodeOffsetCommitRecord({ group: g.groupId, topic: t.name, partition: p.partitionIndex }, entry));
        accepted.push({ topic: t.name, partition: p.partitionIndex, entry, result });
      }
    }
  }
  if (records.length === 0) {
    respond();
    return;
  }
  g.pendingAppends++;
  s.append(g.groupId, records, (code) => {
    g.pendingAppends--;
    const mapped = commitAppendError(code);
    for (const a of accepted) {
      if (code !== 0) a.result.errorCode = mapped;
      else {
        s.counters.offsetCommitsTotal++;
        if (s.groups.get(g.groupId) === g) s.setOffset(g, a.topic, a.partition, a.entry);
      }
    }
    respond();
  });
}

/** Kafka's group-level commit checks; null = commit (creating a simple group if needed). */
function commitGroupError(s: CoordinatorState, req: OffsetCommitInput, now: number): number | null {
  const unavailable = s.unavailable(req.groupId);
  if (unavailable !== null) return unavailable;
  if (s.appendsFull()) return E.COORDINATOR_NOT_AVAILABLE;
  // A KIP-848 consumer group: member epochs instead of generations (its offsets live in the Empty GroupMetadata beside it).
  const cg = s.consumerGroups.get(req.groupId);
  if (cg !== undefined) return consumerGroupCommitError(cg, req);
  let g = s.groups.get(req.groupId);
  if (g === undefined) {
    // Not managed by the coordinator: a simple commit (generation < 0) is allowed, else stale.
    if (req.generationIdOrMemberEpoch >= 0) return E.ILLEGAL_GENERATION;
    if (s.groups.size >= s.config.groupsMax) return E.COORDINATOR_NOT_AVAILABLE;
    g = newGroup(req.groupId, now);
    s.groups.set(req.groupId, g);
    return null;
  }
  if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
  const fenced = s.staticMemberCheck(g, req.groupInstanceId, req.memberId);
  if (fenced !== null) return fenced;
  if (req.generationIdOrMemberEpoch < 0 && g.state === 'Empty') return null;
  if (g.state === 'CompletingRebalance') return E.REBALANCE_IN_PROGRESS;
  const member = g.members.get(req.memberId);
  if (member === undefined) return E.UNKNOWN_MEMBER_ID;
  if (req.generationIdOrMemberEpoch !== g.generation) return E.ILLEGAL_GENERATION;
  s.resetHeartbeat(member, now);
  return null;
}

export function offsetFetch(s: CoordinatorState, requestId: number, req: OffsetFetchInput): void {
  const cg = s.consumerGroups.get(req.groupId);
  const errorCode: number = s.unavailable(req.groupId) ?? (cg === undefined ? null : consumerGroupFetchError(cg, req)) ?? E.NONE;
  let topics: OffsetFetchResponseOffsetFetchResponseTopics[] = [];
  if (errorCode === E.NONE) {
    const g = s.groups.get(req.groupId);
    if (req.topics === null) {
      for (const [name, parts] of g?.offsets ?? []) {
        topics.push({ name, partitions: [...parts].map(([partitionIndex, e]) => ({ partitionIndex, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: E.NONE })) });
      }
    } else {
      topics = req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const e = g?.offsets.get(t.name)?.get(partitionIndex);
          return e === undefined
            ? { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE }
            : { partitionIndex, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: E.NONE };
        }),
      }));
    }
  }
  s.respond(requestId, { api: 'OffsetFetch', body: { groupId: req.groupId, topics, errorCode } });
}

export function offsetDelete(s: CoordinatorState, requestId: number, req: OffsetDeleteInput): void {
  const topics = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: E.NONE as number })) }));
  const body = { errorCode: E.NONE as number, throttleTimeMs: 0, topics };
  const respond = (): void => s.respond(requestId, { api: 'OffsetDelete', body });
  const g = s.groups.get(req.groupId);
  const unavailable = s.unavailable(req.groupId);
  if (req.groupId === '') body.errorCode = E.INVALID_GROUP_ID;
  else if (unavailable !== null) body.errorCode = unavailable;
  else if (g === undefined || g.state === 'Dead') body.errorCode = E.GROUP_ID_NOT_FOUND;
  else if (g.state !== 'Empty' && g.protocolType !== 'consumer') body.errorCode = E.NON_EMPTY_GROUP;
  else if (s.appendsFull()) body.errorCode = E.COORDINATOR_NOT_AVAILABLE;
  if (body.errorCode !== E.NONE || g === undefined) {
    body.topics = [];
    respond();
    return;
  }
  const records: RawRecord[] = [];
  const cg = s.consumerGroups.get(g.groupId);
  const consumerTopics = cg !== undefined && cg.members.size > 0 ? subscribedTopicNames(cg) : null;
  for (const t of topics) {
    // Kafka: subscribed unless the subscription is known and does not name the topic.
    const subscribed = consumerTopics !== null ? consumerTopics.has(t.name) : g.state !== 'Empty' && (g.subscribedTopics === null || g.subscribedTopics.has(t.name));
    for (const p of t.partitions) {
      if (subscribed) p.errorCode = E.GROUP_SUBSCRIBED_TO_TOPIC;
      else if (g.offsets.get(t.name)?.delete(p.partitionIndex) === true) records.push(encodeOffsetCommitRecord({ group: g.groupId, topic: t.name, partition: p.partitionIndex }, null));
    }
    if (g.offsets.get(t.name)?.size === 0) g.offsets.delete(t.name);
  }
  if (records.length === 0) respond();
  else s.append(g.groupId, records, (code) => {
    if (code !== 0) body.errorCode = commitAppendError(code);
    respond();
  });
}

/** Kafka ≥ 2.1 expiration: offsets of Empty groups expire `offsetsRetentionMs` after the group became Empty. */
export function expireOffsets(s: CoordinatorState, now: number): void {
  const retention = s.config.offsetsRetentionMs;
  for (const g of [...s.groups.values()]) {
    if (g.pendingAppends > 0 || !s.served(g)) continue;
    // A consumer group with members keeps its offsets (its shell GroupMetadata is always Empty).
    if ((s.consumerGroups.get(g.groupId)?.members.size ?? 0) > 0) continue;
    const records: RawRecord[] = [];
    for (const [topic, parts] of [...g.offsets]) {
      for (const [partition, e] of [...parts]) {
        if (!isExpired(g, topic, e, now, retention)) continue;
        parts.delete(partition);
        s.counters.offsetsExpiredTotal++;
        records.push(encodeOffsetCommitRecord({ group: g.groupId, topic, partition }, null));
      }
      if (parts.size === 0) g.offsets.delete(topic);
    }
    if (g.state === 'Empty' && offsetCount(g) === 0 && g.members.size === 0 && g.pendingMembers.size === 0) {
      records.push(encodeGroupMetadataRecord(g.groupId, null));
      g.state = 'Dead';
      s.groups.delete(g.groupId);
      s.consumerGroups.delete(g.groupId);
    }
    if (records.length > 0) s.append(g.groupId, records, () => {});
  }
}

function isExpired(g: GroupMetadata, topic: string, e: OffsetEntry, now: number, retention: number): boolean {
  if (e.expireTimestampMs >= 0) return now >= e.expireTimestampMs;
  if (g.protocolType === null) return now - e.commitTimestampMs >= retention;
  if (g.state === 'Empty') return now - (g.currentStateTimestampMs >= 0 ? g.currentStateTimestampMs : e.commitTimestampMs) >= retention;
  if (g.state === 'Stable' && g.protocolType === 'consumer' && g.subscribedTopics !== null) return !g.subscribedTopics.has(topic) && now - e.commitTimestampMs >= retention;
  return false;
}
