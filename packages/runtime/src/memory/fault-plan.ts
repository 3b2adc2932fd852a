/**
 * FaultPlan: which upcoming file-system operations fail, for the memory file system.
 *
 * A rule `{ op, nth }` counts the operations matching `op` from the moment it is added
 * and makes the `nth` one (1-based) fail with a FileSystemError (`code`, default
 * 'injected'); then the rule is spent and removed. Rules count independently, so two
 * rules may fire on the same operation (the first added wins). A failed operation has no
 * effect at all. At most `rulesMax` rules are pending at once.
 */

import { FileSystemError, type FileSystemErrorCode } from '../file-system.ts';

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

interface ArmedRule {
  readonly rule: FaultRule;
  seen: number;
}

export const rulesMax = 1024;

export class FaultPlan {
  private rules: ArmedRule[] = [];
  /** How many operations of each kind ran (or were attempted) since creation. */
  readonly counts = new Map<FaultOp, number>();

  add(rule: FaultRule): void {
    if (!Number.isSafeInteger(rule.nth) || rule.nth < 1) throw new RangeError(`nth must be a positive integer, got ${rule.nth}`);
    if (this.rules.length >= rulesMax) throw new RangeError(`more than ${rulesMax} pending fault rules`);
    this.rules.push({ rule, seen: 0 });
  }

  clear(): void {
    this.rules = [];
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
  }
}
