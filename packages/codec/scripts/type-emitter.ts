/**
 * Emits the TypeScript interface of a struct: one property per spec field, in spec order,
 * typed by `tsType` (so `| null` exactly where a version allows null or the default is
 * null), with the spec's `about` as its doc comment; flexible messages add the optional
 * `unknownTaggedFields`. Every interface is exported, nested ones included.
 */
import { tsType } from './emit-context.ts';
import type { Ctx } from './emit-context.ts';
import type { Struct } from './spec-model.ts';

export function emitInterface(c: Ctx, s: Struct, out: string[]): void {
  out.push(`export interface ${s.typeName} {`);
  for (const f of s.fields) {
    if (f.spec.about) out.push(`  /** ${f.spec.about.replace(/\*\//g, '* /')} */`);
    out.push(`  ${f.name}: ${tsType(c.m, f)};`);
  }
  if (c.m.hasFlex()) out.push('  /** Tagged fields this codec does not know, preserved on decode and re-encoded. */', '  unknownTaggedFields?: TaggedField[];');
  out.push('}', '');
}
