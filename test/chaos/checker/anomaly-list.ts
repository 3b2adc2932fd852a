/**
 * One anomaly class's findings, bounded: every finding is counted, the first
 * EXAMPLES_MAX are kept as examples (in the order the checker meets them: file order for
 * per-process classes, time order for cross-process ones, offset order for the final read).
 */

export const EXAMPLES_MAX = 20;

export interface AnomalyClass<T> {
  readonly count: number;
  readonly examples: readonly T[];
}

export class AnomalyList<T> {
  #count = 0;
  readonly #examples: T[] = [];

  add(example: T): void {
    this.#count++;
    if (this.#examples.length < EXAMPLES_MAX) this.#examples.push(example);
  }

  result(): AnomalyClass<T> {
    return { count: this.#count, examples: [...this.#examples] };
  }
}

/** "file:line", how examples point back into a history. */
export function at(where: { readonly file: string; readonly line: number }): string {
  return `${where.file}:${where.line}`;
}
