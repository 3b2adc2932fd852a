/**
 * Emits `read<T>(r, v)`: decodes a struct at version v from a sticky-error Reader.
 *
 * Every field starts at its default, so a field absent from the version needs no code. After
 * each field the output tests `r.failed` and returns `r.bail(name)` (with `r.at(i)` inside
 * arrays), so the error path is built only on failure. Array counts are bounded by the bytes
 * left before anything is allocated (`minElementBytes`). Unknown tagged fields are kept as
 * views in wire order; a tagged field whose size disagrees with what was read is 'bad-length'.
 */
import { defaultExpr } from './default-values.ts';
import { fieldFlex, minElementBytes, tsType } from './emit-context.ts';
import type { Ctx } from './emit-context.ts';
import { camel, elementOf, SCALARS } from './spec-model.ts';
import type { Field, Struct } from './spec-model.ts';

/** Expression reading one non-array value. */
function readValue(c: Ctx, type: string, flex: string, nullableCond: string): string {
  if (c.m.isStruct(type)) {
    const t = c.m.struct(type).typeName;
    if (nullableCond === 'false') return `read${t}(r, v)`;
    return `${nullableCond === 'true' ? '' : `!(${nullableCond}) || `}r.int8() >= 0 ? read${t}(r, v) : null`;
  }
  switch (type) {
    case 'string':
    case 'bytes':
    case 'records': {
      const fn = type === 'string' ? 'String' : 'Bytes';
      if (nullableCond === 'false') return `r.${camel(fn)}(${flex})`;
      if (nullableCond === 'true') return `r.nullable${fn}(${flex})`;
      return `${nullableCond} ? r.nullable${fn}(${flex}) : r.${camel(fn)}(${flex})`;
    }
    default:
      return `r.${type}()`;
  }
}

/** Lines reading field `f` into `let` variable `x`, bailing out with the path on failure. */
function readField(c: Ctx, f: Field, x: string, flex: string, lines: string[], ind: string): void {
  const seg = JSON.stringify(f.name);
  if (!f.isArray) {
    lines.push(`${ind}${x} = ${readValue(c, f.type, flex, c.m.cond(f.nullable))};`, `${ind}if (r.failed) return r.bail(${seg});`);
    return;
  }
  const elemT = c.m.isStruct(f.type) ? c.m.struct(f.type).typeName : SCALARS[f.type]!.ts;
  lines.push(`${ind}{`, `${ind}  const count = r.arrayLength(${flex}, ${c.m.cond(f.nullable)}, ${minElementBytes(c, f.type, flex)});`);
  lines.push(`${ind}  if (r.failed) return r.bail(${seg});`);
  lines.push(`${ind}  if (count < 0) ${tsType(c.m, f).includes('null') ? `${x} = null` : 'return r.bail(' + seg + ')'};`, `${ind}  else {`, `${ind}    const a: ${elemT}[] = [];`);
  lines.push(`${ind}    for (let i = 0; i < count; i++) {`);
  lines.push(`${ind}      a.push(${readValue(c, elementOf(f).type, flex, 'false')});`);
  lines.push(`${ind}      if (r.failed) { r.at(i); return r.bail(${seg}); }`, `${ind}    }`, `${ind}    ${x} = a;`, `${ind}  }`, `${ind}}`);
}

/** Lines reading the tagged-field section: known tags into their fields, the rest kept as views. */
function readTaggedSection(c: Ctx, s: Struct, lines: string[]): void {
  lines.push('  if (flex) {', '    const tags = r.tagCount();', '    for (let t = 0; t < tags && !r.failed; t++) {');
  lines.push('      const tag = r.uvarint();', '      const size = r.tagSize();', '      const end = r.pos + size;');
  let first = true;
  for (const f of c.m.taggedFields(s)) {
    lines.push(`      ${first ? '' : '} else '}if (tag === ${f.spec.tag} && ${c.m.taggedCond(f)}) {`);
    readField(c, f, f.name, 'true', lines, '        ');
    first = false;
  }
  lines.push(`      ${first ? '{' : '} else {'}`, '        (unknownTaggedFields ??= []).push({ tag, data: r.raw(size) });', '      }');
  lines.push(`      if (r.pos !== end) r.fail('bad-length', 'tagged field ' + tag + ' size mismatch');`, '    }');
  lines.push("    if (r.failed) return r.bail('(tagged fields)');", '  }');
}

/** The `read<T>` function of struct `s`; the top-level one (exported) also names the api and version in the reader. */
export function emitRead(c: Ctx, s: Struct, top: boolean, lines: string[]): void {
  const m = c.m;
  const hasFlex = m.hasFlex();
  lines.push(`${top ? 'export ' : ''}function read${s.typeName}(r: Reader, v: number): ${s.typeName} {`);
  if (top) lines.push(`  r.api = ${JSON.stringify(m.name)};`, '  r.version = v;');
  if (hasFlex) lines.push(`  const flex = ${m.cond(m.flex)};`);
  for (const f of s.fields) lines.push(`  let ${f.name}: ${tsType(m, f)} = ${defaultExpr(m, f)};`);
  if (hasFlex) lines.push('  let unknownTaggedFields: TaggedField[] | undefined;');
  for (const f of s.fields.filter((f) => m.cond(f.versions) !== 'false')) {
    const rc = m.regularCond(f);
    if (rc === 'false') continue;
    if (rc === 'true') readField(c, f, f.name, fieldFlex(c, f), lines, '  ');
    else {
      lines.push(`  if (${rc}) {`);
      readField(c, f, f.name, fieldFlex(c, f), lines, '    ');
      lines.push('  }');
    }
  }
  if (hasFlex) readTaggedSection(c, s, lines);
  const all = s.fields.map((f) => f.name);
  if (hasFlex) all.push('unknownTaggedFields');
  lines.push(`  return { ${all.join(', ')} };`, '}', '');
}
