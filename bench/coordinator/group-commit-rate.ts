/**
 * Offset commits through the pure GroupCoordinator: one Stable member commits one partition
 * per request, and every append is completed at once (no log), so this is the coordinator's
 * own cost per commit (checks, record encoding, bookkeeping, response). Baseline: encoding
 * the same offset-commit record alone, the floor any commit path pays. A second figure runs
 * the same with 2,000 other Stable groups present: the per-request cost must not grow with
 * the number of groups (timers are only scanned when one may be due).
 *
 * Run: npm run bench -- coordinator-commit-rate
 */
import { measure, report } from '@samsa/bench';
import { GroupCoordinator, encodeMemberSubscription, encodeOffsetCommitRecord } from '@samsa/coordinator';
import type { CoordinatorAction } from '@samsa/coordinator';

const COMMITS = 20_000;

function stableCoordinator(otherGroups = 0): { c: GroupCoordinator; memberId: string; generation: number; now: number } {
  let seed = 1;
  const c = new GroupCoordinator({ config: { groupInitialRebalanceDelayMs: 0 }, random: { nextUint32: () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) } });
  c.loadCompleted(0);
  const metadata = encodeMemberSubscription({ topics: ['t'], userData: null, ownedPartitions: [], generationId: -1, rackId: null });
  const join = c.joinGroup(1, { groupId: 'g', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata }], reason: null, clientId: 'bench', clientHost: '/127.0.0.1', requireKnownMemberId: false, skipAssignmentSupported: false }, 0);
  const r = join[0];
  if (r?.type !== 'respond' || r.response.api !== 'JoinGroup') throw new Error('join failed');
  const { memberId, generationId } = r.response.body;
  complete(c, c.syncGroup(2, { groupId: 'g', generationId, memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, 0));
  for (let i = 0; i < otherGroups; i++) {
    const out = c.joinGroup(100 + i, { groupId: `other-${i}`, sessionTimeoutMs: 1_800_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata }], reason: null, clientId: 'idle', clientHost: '/127.0.0.1', requireKnownMemberId: false, skipAssignmentSupported: false }, 0);
    const j = out[0];
    if (j?.type !== 'respond' || j.response.api !== 'JoinGroup') throw new Error('join failed');
    complete(c, c.syncGroup(200_000 + i, { groupId: `other-${i}`, generationId: j.response.body.generationId, memberId: j.response.body.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, 0));
  }
  return { c, memberId, generation: generationId, now: 0 };
}

function complete(c: GroupCoordinator, actions: CoordinatorAction[]): number {
  let responses = 0;
  for (const a of actions) {
    if (a.type === 'append') responses += complete(c, c.appendCompleted(a.completionId, 0));
    else responses++;
  }
  return responses;
}

let requestId = 1_000_000;
let offset = 0;
function commits(s: ReturnType<typeof stableCoordinator>): void {
  for (let i = 0; i < COMMITS; i++) {
    s.now++;
    const out = s.c.offsetCommit(requestId++, { groupId: 'g', generationIdOrMemberEpoch: s.generation, memberId: s.memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: i & 7, committedOffset: offset++, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }] }, s.now);
    if (complete(s.c, out) !== 1) throw new Error('commit not answered');
    s.c.nextTickAtMs(); // a broker re-arms its timer after every call
  }
}
const one = stableCoordinator();
const many = stableCoordinator(2000);
const subject = await measure({ name: 'GroupCoordinator offsetCommit+appendCompleted', unit: 'commits', unitsPerRound: COMMITS }, () => commits(one));
const crowded = await measure({ name: '  same, 2,000 other Stable groups', unit: 'commits', unitsPerRound: COMMITS }, () => commits(many));
const baseline = await measure({ name: 'encodeOffsetCommitRecord', unit: 'commits', unitsPerRound: COMMITS }, () => {
  for (let i = 0; i < COMMITS; i++) encodeOffsetCommitRecord({ group: 'g', topic: 't', partition: i & 7 }, { offset: offset++, leaderEpoch: -1, metadata: '', commitTimestampMs: i, expireTimestampMs: -1 });
});
report(subject, baseline);
report(crowded, subject);
