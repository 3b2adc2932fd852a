/**
 * Emits the `default<T>()` and `isDefault<T>(o)` helpers a message's codec calls, and no
 * others (unused functions would fail tsc's noUnusedLocals).
 *
 * Runs after the struct emitters, from what they recorded in the context: a struct used as
 * a field default needs `default*`; a struct compared to its default (absent or tagged
 * fields) needs `isDefault*`. Both close over nested structs, since a default struct holds
 * default structs. Output is sorted by type name so it does not depend on discovery order.
 */
import { defaultExpr, nonDefaultExpr } from './default-values.ts';
import type { Ctx } from './emit-context.ts';

/** Records in `c.needDefault` every struct whose default is some field's default value. */
export function collectFieldDefaults(c: Ctx): void {
  const m = c.m;
  for (const s of m.structs.values()) for (const f of s.fields) if (!f.isArray && m.isStruct(f.type) && f.spec.default !== 'null') c.needDefault.add(m.struct(f.type).typeName);
}

export function emitDefaults(c: Ctx, out: string[]): void {
  const m = c.m;
  // close over nested needs: a default struct contains default structs
  const pending = [...c.needDefault, ...c.needIsDefault];
  const doneDefault = new Set<string>();
  const byType = new Map([...m.structs.values()].map((s) => [s.typeName, s]));
  const wantDefault = new Set(pending);
  const wantIs = new Set(c.needIsDefault);
  while (pending.length > 0) {
    const t = pending.pop()!;
    if (doneDefault.has(t)) continue;
    doneDefault.add(t);
    for (const f of byType.get(t)!.fields) {
      if (!f.isArray && m.isStruct(f.type) && f.spec.default !== 'null') {
        const n = m.struct(f.type).typeName;
        wantDefault.add(n);
        if (wantIs.has(t)) wantIs.add(n);
        pending.push(n);
      }
    }
  }
  for (const t of [...wantDefault].sort()) {
    const s = byType.get(t)!;
    out.push(`function default${t}(): ${t} {`, `  return { ${s.fields.map((f) => `${f.name}: ${defaultExpr(m, f)}`).join(', ')} };`, '}', '');
  }
  for (const t of [...wantIs].sort()) {
    const s = byType.get(t)!;
    const need = new Set<string>();
    const conds = s.fields.map((f) => `!(${nonDefaultExpr(m, f, `o.${f.name}`, need)})`);
    if (m.hasFlex()) conds.push('(o.unknownTaggedFields?.length ?? 0) === 0');
    out.push(`function isDefault${t}(o: ${t}): boolean {`, `  return ${conds.join(' &&\n    ') || 'true'};`, '}', '');
  }
}
