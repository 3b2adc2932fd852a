/**
 * Lets the core packages' vitest files run unchanged under `deno test`.
 *
 * deno.json maps the bare specifier "vitest" here. `describe` only prefixes names;
 * `it`/`test` register Deno tests; `expect` is Jest's standalone `expect` package, the same
 * matcher library vitest's API follows. Hooks run around each test of the enclosing
 * describe. Only the subset of vitest our tests use is provided: anything else fails loudly.
 */
import { expect as jestExpect } from 'expect';
import fc from 'fast-check';

type Fn = () => unknown | Promise<unknown>;
interface Scope {
  name: string;
  beforeEach: Fn[];
  afterEach: Fn[];
  beforeAll: Fn[];
  afterAll: Fn[];
  parent: Scope | null;
  ranBeforeAll: boolean;
}

const seed = Deno.env.get('FC_SEED');
const numRuns = Deno.env.get('FC_NUM_RUNS');
fc.configureGlobal({
  ...(seed ? { seed: Number(seed) } : {}),
  ...(numRuns ? { numRuns: Number(numRuns) } : {}),
  verbose: 1,
});

let current: Scope = { name: '', beforeEach: [], afterEach: [], beforeAll: [], afterAll: [], parent: null, ranBeforeAll: true };

function chain(scope: Scope): Scope[] {
  const out: Scope[] = [];
  for (let s: Scope | null = scope; s; s = s.parent) out.unshift(s);
  return out;
}

function fullName(scope: Scope, name: string): string {
  return [...chain(scope).map((s) => s.name).filter(Boolean), name].join(' > ');
}

export function describe(name: string, body: () => void): void {
  const scope: Scope = { name, beforeEach: [], afterEach: [], beforeAll: [], afterAll: [], parent: current, ranBeforeAll: false };
  const saved = current;
  current = scope;
  try {
    body();
  } finally {
    current = saved;
  }
}
describe.skip = (_name: string, _body: () => void): void => {
  throw new Error('describe.skip is not allowed: tests must be able to fail');
};
/**
 * vitest's `each` naming: printf-style %s %d %i %f %j %o take the case's values in turn (an
 * array case's elements, else the case itself), %# is the case's index, $key an object
 * case's property.
 */
function eachName(name: string, c: unknown, index: number): string {
  const values: unknown[] = Array.isArray(c) ? [...c] : [c];
  let next = 0;
  return name
    .replace(/%[sdifjo#%]/g, (spec) => {
      if (spec === '%%') return '%';
      if (spec === '%#') return String(index);
      const v = values[next++];
      return spec === '%j' || spec === '%o' ? JSON.stringify(v) : String(v);
    })
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, key: string) =>
      c !== null && typeof c === 'object' && !Array.isArray(c) && key in c ? String((c as Record<string, unknown>)[key]) : whole);
}
/** vitest's `each` arguments: an array case is spread into the callback's parameters. */
function eachArgs(c: unknown): unknown[] {
  return Array.isArray(c) ? [...c] : [c];
}
interface EachFunction<R> {
  <T extends unknown[] | [unknown]>(cases: readonly T[]): (name: string, fn: (...args: T) => R) => void;
  <T>(cases: readonly T[]): (name: string, fn: (...args: T[]) => R) => void;
}
const describeEach: EachFunction<void> = (cases: readonly unknown[]) => (name: string, body: (...args: never[]) => void) => {
  cases.forEach((c, i) => describe(eachName(name, c, i), () => (body as (...args: unknown[]) => void)(...eachArgs(c))));
};
describe.each = describeEach;

/**
 * A test that runs longer than its timeout fails instead of hanging the whole `deno test`
 * run (vitest's behaviour). The default is twice vitest's 60 s `testTimeout`, for Deno's
 * slower first compile; an explicit per-test timeout is taken as vitest takes it.
 */
const testTimeoutDefaultMs = 120_000;
function withTimeout(run: () => Promise<void>, name: string, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test timed out after ${timeoutMs} ms: ${name}`)), timeoutMs);
  });
  return Promise.race([run(), expired]).finally(() => clearTimeout(timer));
}

export function it(name: string, fn: Fn, timeoutMs?: number | { timeout?: number }): void {
  const limitMs = (typeof timeoutMs === 'number' ? timeoutMs : timeoutMs?.timeout) ?? testTimeoutDefaultMs;
  const scope = current;
  Deno.test({
    name: fullName(scope, name),
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => withTimeout(async () => {
      const scopes = chain(scope);
      for (const s of scopes) {
        if (!s.ranBeforeAll) {
          s.ranBeforeAll = true;
          for (const h of s.beforeAll) await h();
        }
      }
      for (const s of scopes) for (const h of s.beforeEach) await h();
      try {
        await fn();
      } finally {
        for (const s of scopes.reverse()) for (const h of s.afterEach) await h();
      }
    }, fullName(scope, name), limitMs),
  });
}
const itEach: EachFunction<unknown> = (cases: readonly unknown[]) => (name: string, fn: (...args: never[]) => unknown) => {
  cases.forEach((c, i) => it(eachName(name, c, i), () => (fn as (...args: unknown[]) => unknown)(...eachArgs(c))));
};
it.each = itEach;
export const test = it;

export function beforeEach(fn: Fn): void {
  current.beforeEach.push(fn);
}
export function afterEach(fn: Fn): void {
  current.afterEach.push(fn);
}
export function beforeAll(fn: Fn): void {
  current.beforeAll.push(fn);
}
export function afterAll(fn: Fn): void {
  // Deno has no per-file "after all"; run it as a trailing test so resources are released.
  const scope = current;
  Deno.test({ name: fullName(scope, '(afterAll)'), sanitizeOps: false, sanitizeResources: false, fn: async () => void (await fn()) });
}

/** Prefixes a failed matcher's message with vitest's optional `expect(actual, message)` text. */
function withMessage<T extends object>(target: T, message: string): T {
  const prefix = (e: unknown): unknown => {
    if (e instanceof Error) e.message = `${message}\n${e.message}`;
    return e;
  };
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value: unknown = Reflect.get(t, prop, receiver);
      if (typeof value === 'function') {
        return (...args: unknown[]) => {
          try {
            const out: unknown = value.apply(t, args);
            if (out instanceof Promise) return out.catch((e: unknown) => Promise.reject(prefix(e)));
            return out;
          } catch (e) {
            throw prefix(e);
          }
        };
      }
      if (value !== null && typeof value === 'object') return withMessage(value, message);
      return value;
    },
  });
}

type JestExpect = typeof jestExpect;
/** Jest's `expect`, also taking vitest's second argument: a message shown when the matcher fails. */
export const expect = Object.assign(
  (actual: unknown, message?: string) => (message === undefined ? jestExpect(actual) : withMessage(jestExpect(actual), message)),
  jestExpect,
) as unknown as JestExpect & ((actual: unknown, message: string) => ReturnType<JestExpect>);
