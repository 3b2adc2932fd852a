/**
 * The import graph of a tree of TypeScript sources, and its cycles.
 *
 * Nodes are the `.ts` files under the given source roots (no `.d.ts`, no dist/ or
 * node_modules/); edges are their relative static imports and re-exports
 * (`import … from './x.ts'`, `import type …`, `export … from`). Type-only imports count:
 * a type cycle ties the two files' designs together as much as a value cycle does, and the
 * cycle issue 12 broke (broker-context → group-service → api-handler → broker-context) ran
 * through two of them. Package imports (`@samsa/…`) are not edges: package references
 * (`tsc -b`) already forbid cycles between packages. Dynamic `import()` is not an edge.
 *
 * Parsing uses the TypeScript compiler's own parser (already a dev dependency), so every
 * syntax the sources use is understood. The walk is bounded by the files found.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** file → the files it imports (absolute paths). */
export type ImportGraph = Map<string, string[]>;

function sourceFilesUnder(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist') sourceFilesUnder(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
}

/** The relative module specifiers a file imports or re-exports statically. */
export function relativeImportsOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const statement of source.statements) {
    const specifier = ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement) ? statement.moduleSpecifier : undefined;
    if (specifier !== undefined && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) out.push(specifier.text);
  }
  return out;
}

function resolveImport(fromFile: string, specifier: string): string | null {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** The graph of every source file under `roots` (directories that do not exist are skipped). */
export function importGraphOf(roots: readonly string[]): ImportGraph {
  const files: string[] = [];
  for (const root of roots) if (existsSync(root)) sourceFilesUnder(root, files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = relativeImportsOf(file, readFileSync(file, 'utf8'))
      .map((s) => resolveImport(file, s))
      .filter((t): t is string => t !== null);
    graph.set(file, targets);
  }
  return graph;
}

/**
 * One cycle per strongly connected component that has one (Tarjan's algorithm), each as
 * the file path from a file back to itself, e.g. [a, b, c, a]. Empty when the graph is
 * acyclic. Iterative, so a deep graph cannot overflow the stack.
 */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edges = graph.get(top.node) ?? [];
      if (top.edge < edges.length) {
        const to = edges[top.edge++]!;
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) !== index.get(top.node)) continue;
      const component = new Set<string>();
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.add(member);
      } while (member !== top.node);
      if (component.size > 1 || edges.includes(top.node)) cycles.push(cycleThrough(graph, top.node, component));
    }
  }
  return cycles;
}

/** A shortest path from `start` back to itself inside `component` (breadth-first). */
function cycleThrough(graph: ImportGraph, start: string, component: ReadonlySet<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const to of graph.get(node) ?? []) {
      if (!component.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let n = node; n !== start; n = previous.get(n)!) path.unshift(n);
        path.unshift(start);
        return path;
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

/** A cycle as "a.ts → b.ts → a.ts", paths relative to `root`. */
export function describeCycle(cycle: readonly string[], root: string): string {
  return cycle.map((f) => relative(root, f)).join(' → ');
}
