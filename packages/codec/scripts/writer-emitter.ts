/**
 * Emits `write<T>(w, o, v)`: writes a struct at version v into a Writer sized by `size<T>`.
 *
 * The writer does no validation (size did it) and allocates nothing. Tagged fields go out
 * in ascending tag order, the unknown ones kept on decode merged in between the known ones
 * (`writeUnknownTagsBelow`), each known one prefixed with its size, measured by the size
 * emitter's own `sizeField` lines so both agree.
 */
import { nonDefaultExpr } from './default-values.ts';
import { fieldFlex, tsType } from './emit-context.ts';
import type { Ctx } from './emit-context.ts';
import { sizeField } from './size-emitter.ts';
import { elementOf } from './spec-model.ts';
import type { Field, Struct } from './spec-model.ts';

function writeValue(c: Ctx, f: Field, type: string, x: string, flex: string, nullableCond: string, lines: string[], ind: string): void {
  if (c.m.isStruct(type)) {
    const t = c.m.struct(type).typeName;
    if (nullableCond === 'false') return void lines.push(`${ind}write${t}(w, ${x}, v);`);
    lines.push(`${ind}if (${x} === null) w.int8(-1);`, `${ind}else {`, `${ind}  ${nullableCond === 'true' ? '' : `if (${nullableCond}) `}w.int8(1);`, `${ind}  write${t}(w, ${x}, v);`, `${ind}}`);
    return;
  }
  const nullable = tsType(c.m, f).includes('null') && !f.isArray;
  switch (type) {
    case 'string':
      return void lines.push(`${ind}w.${nullable ? 'nullableString' : 'string'}(${flex}, ${x});`);
    case 'bytes':
    case 'records':
      return void lines.push(`${ind}w.${nullable ? 'nullableBytes' : 'bytes'}(${flex}, ${x});`);
    default:
      lines.push(`${ind}w.${type}(${x});`);
  }
}

function writeField(c: Ctx, f: Field, x: string, flex: string, lines: string[], ind: string): void {
  if (!f.isArray) return writeValue(c, f, f.type, x, flex, c.m.cond(f.nullable), lines, ind);
  const canBeNull = tsType(c.m, f).includes('null');
  const i2 = canBeNull ? `${ind}  ` : ind;
  if (canBeNull) lines.push(`${ind}if (${x} === null) w.arrayLength(${flex}, -1);`, `${ind}else {`);
  lines.push(`${i2}w.arrayLength(${flex}, ${x}.length);`, `${i2}for (let i = 0; i < ${x}.length; i++) {`);
  writeValue(c, elementOf(f), f.type, `${x}[i]!`, flex, 'false', lines, `${i2}  `);
  lines.push(`${i2}}`);
  if (canBeNull) lines.push(`${ind}}`);
}

/** Lines writing the tagged-field section: count, then known and unknown tags merged in ascending order. */
function writeTaggedSection(c: Ctx, s: Struct, lines: string[]): void {
  const m = c.m;
  const tagged = m.taggedFields(s);
  lines.push('  if (flex) {');
  if (tagged.length === 0) {
    lines.push('    const unknown = o.unknownTaggedFields;', '    w.uvarint(unknown?.length ?? 0);', '    writeUnknownTagsBelow(w, unknown, 0, Infinity);');
  } else {
    lines.push('    let tags = o.unknownTaggedFields?.length ?? 0;');
    for (const f of tagged) lines.push(`    const has${f.spec.name} = ${m.taggedCond(f)} && (${nonDefaultExpr(m, f, `o.${f.name}`, c.needIsDefault)});`, `    if (has${f.spec.name}) tags++;`);
    lines.push('    w.uvarint(tags);', '    let u = 0;');
    for (const f of tagged) {
      const x = `o.${f.name}`;
      lines.push(`    u = writeUnknownTagsBelow(w, o.unknownTaggedFields, u, ${f.spec.tag});`);
      lines.push(`    if (has${f.spec.name}) {`, `      w.uvarint(${f.spec.tag});`, '      let n = 0;');
      sizeField(c, f, x, 'true', `${s.typeName}.${f.name}`, lines, '      ');
      lines.push('      w.uvarint(n);');
      writeField(c, f, x, 'true', lines, '      ');
      lines.push('    }');
    }
    lines.push('    writeUnknownTagsBelow(w, o.unknownTaggedFields, u, Infinity);');
  }
  lines.push('  }');
}

/** The `write<T>` function of struct `s` (exported for the top-level struct). */
export function emitWrite(c: Ctx, s: Struct, top: boolean, lines: string[]): void {
  const m = c.m;
  const hasFlex = m.hasFlex();
  lines.push(`${top ? 'export ' : ''}function write${s.typeName}(w: Writer, o: ${s.typeName}, v: number): void {`);
  if (hasFlex) lines.push(`  const flex = ${m.cond(m.flex)};`);
  for (const f of s.fields.filter((f) => m.cond(f.versions) !== 'false')) {
    const rc = m.regularCond(f);
    if (rc === 'false') continue;
    const x = `o.${f.name}`;
    if (rc === 'true') writeField(c, f, x, fieldFlex(c, f), lines, '  ');
    else {
      lines.push(`  if (${rc}) {`);
      writeField(c, f, x, fieldFlex(c, f), lines, '    ');
      lines.push('  }');
    }
  }
  if (hasFlex) writeTaggedSection(c, s, lines);
  lines.push('}', '');
}
