/**
 * FaultPlan: which upcoming file-system operations fail, for the memory file system.
 *
 * A rule `{ op, nth }` counts the operations matching `op` from the moment it is added
 * and makes the `nth` one (1-based) fail with a FileSystemError (`code`, default
 * 'injected'); then the rule is spent and removed. Rules count independently, so two
 * rules may fire on the same operation (the first added wins). A failed operation has no
 * effect at all. At most `rulesMax` rules are pending at once.
 *
 * A random rule (`setRandom`) fails each matching operation with a probability, drawn
 * from its own seeded Random: the same seed and the same operation sequence fail the
 * same operations.
 */

import { FileSystemError, type FileSystemErrorCode } from '../file-system.ts';
import { createRandom, type Random } from '../random.ts';

/** Every operation the memory file system counts. Handle operations first. */
export type FaultOp =
  | 'read'
  | 'append'
  | 'write'
  | 'sync'
  | 'truncate'
  | 'size'
  | 'close'
  | 'open'
  | 'mkdirp'
  | 'readDir'
  | 'rename'
  | 'remove'
  | 'stat'
  | 'syncDir'
  | 'readFile';

export interface FaultRule {
  /** The operation to count; 'any' counts every operation. */
  readonly op: FaultOp | 'any';
  /** 1-based: 1 fails the very next matching operation. */
  readonly nth: number;
  /** The error code to fail with; 'injected' when omitted. */
  readonly code?: FileSystemErrorCode;
}

/** Fails each matching operation with `probability`, drawn from a Random seeded with `seed`. */
export interface RandomFaultRule {
  readonly seed: number;
  /** In [0, 1]. */
  readonly probability: number;
  /** The operations it may fail; every operation when omitted. */
  readonly ops?: readonly FaultOp[];
  readonly code?: FileSystemErrorCode;
}

interface ArmedRule {
  readonly rule: FaultRule;
  seen: number;
}

export const rulesMax = 1024;

export class FaultPlan {
  private rules: ArmedRule[] = [];
  private randomRule: { readonly rule: RandomFaultRule; readonly random: Random } | null = null;
  /** How many operations of each kind ran (or were attempted) since creation. */
  readonly counts = new Map<FaultOp, number>();

  add(rule: FaultRule): void {
    if (!Number.isSafeInteger(rule.nth) || rule.nth < 1) throw new RangeError(`nth must be a positive integer, got ${rule.nth}`);
    if (this.rules.length >= rulesMax) throw new RangeError(`more than ${rulesMax} pending fault rules`);
    this.rules.push({ rule, seen: 0 });
  }

  /** Replaces the random rule (one at a time); `null` removes it. */
  setRandom(rule: RandomFaultRule | null): void {
    if (rule && !(rule.probability >= 0 && rule.probability <= 1)) throw new RangeError(`probability must be in [0, 1], got ${rule.probability}`);
    this.randomRule = rule ? { rule, random: createRandom(rule.seed) } : null;
  }

  clear(): void {
    this.rules = [];
    this.randomRule = null;
  }

  get pending(): number {
    return this.rules.length;
  }

  /** Counts one `op` on `path`; throws the injected error if a rule fires. */
  check(op: FaultOp, path: string): void {
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
    let fired: FaultRule | undefined;
    this.rules = this.rules.filter((armed) => {
      if (armed.rule.op !== 'any' && armed.rule.op !== op) return true;
      armed.seen++;
      if (armed.seen < armed.rule.nth) return true;
      fired ??= armed.rule;
      return false;
    });
    if (fired) {
      throw new FileSystemError(fired.code ?? 'injected', path, `injected fault on ${op} (rule nth=${fired.nth}, op=${fired.op})`);
    }
    const random = this.randomRule;
    if (random && (!random.rule.ops || random.rule.ops.includes(op)) && random.random.next() < random.rule.probability) {
      throw new FileSystemError(random.rule.code ?? 'injected', path, `injected random fault on ${op} (seed ${random.rule.seed})`);
    }
  }
}
