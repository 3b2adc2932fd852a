/**
 * Emits `size<T>(o, v)`: the exact encoded size of a struct at version v, validating on the
 * way so that nothing is written for an invalid message.
 *
 * Validation here is the encoder's only validation: int64 must be a safe integer, a uuid
 * must be Kafka's text form, null only in nullable versions, and a non-default value of a
 * field the version lacks is an EncodeError unless the field is `ignorable`. The writer
 * trusts these checks and re-uses `sizeField` to prefix each known tagged field with its size.
 */
import { nonDefaultExpr } from './default-values.ts';
import { fieldFlex, sizeUvarintConst, tsType } from './emit-context.ts';
import type { Ctx } from './emit-context.ts';
import { elementOf, SCALARS } from './spec-model.ts';
import type { Field, Struct } from './spec-model.ts';

/** Lines adding the size of value `x` (non-array element type `type`) to `n`; validates. */
function sizeValue(c: Ctx, f: Field, type: string, x: string, flex: string, nullableCond: string, path: string, lines: string[], ind: string): void {
  const api = JSON.stringify(c.m.name);
  const nullFail = `encodeFail(${api}, v, ${JSON.stringify(path)}, 'null in a non-nullable version')`;
  const nullable = nullableCond !== 'false';
  if (c.m.isStruct(type)) {
    const t = c.m.struct(type).typeName;
    if (!nullable) return void lines.push(`${ind}n += size${t}(${x}, v);`);
    lines.push(`${ind}if (${x} === null) { if (!(${nullableCond})) ${nullFail}; n += 1; } else n += ${nullableCond === 'true' ? '1 + ' : `(${nullableCond} ? 1 : 0) + `}size${t}(${x}, v);`);
    return;
  }
  switch (type) {
    case 'int64':
      lines.push(`${ind}checkInt64(${x}, ${api}, v, ${JSON.stringify(path)});`, `${ind}n += 8;`);
      return;
    case 'uuid':
      lines.push(`${ind}if (!isUuid(${x})) encodeFail(${api}, v, ${JSON.stringify(path)}, 'not a uuid');`, `${ind}n += 16;`);
      return;
    case 'string':
    case 'bytes':
    case 'records': {
      const fn = type === 'string' ? 'String' : 'Bytes';
      if (!tsType(c.m, f).includes('null')) return void lines.push(`${ind}n += size${fn}(${flex}, ${x});`);
      if (nullableCond !== 'true') lines.push(`${ind}if (${x} === null${nullableCond === 'false' ? '' : ` && !(${nullableCond})`}) ${nullFail};`);
      lines.push(`${ind}n += sizeNullable${fn}(${flex}, ${x});`);
      return;
    }
    default:
      lines.push(`${ind}n += ${SCALARS[type]!.fixed};`);
  }
}

/** Lines adding the size of field `f` held in `x`. */
export function sizeField(c: Ctx, f: Field, x: string, flex: string, path: string, lines: string[], ind: string): void {
  const nullableCond = c.m.cond(f.nullable);
  if (!f.isArray) return sizeValue(c, f, f.type, x, flex, nullableCond, path, lines, ind);
  const api = JSON.stringify(c.m.name);
  const canBeNull = tsType(c.m, f).includes('null');
  let i2 = ind;
  if (canBeNull) {
    lines.push(`${ind}if (${x} === null) {`);
    if (nullableCond !== 'true') lines.push(`${ind}  if (!(${nullableCond})) encodeFail(${api}, v, ${JSON.stringify(path)}, 'null in a non-nullable version');`);
    lines.push(`${ind}  n += sizeArrayLength(${flex}, -1);`, `${ind}} else {`);
    i2 = `${ind}  `;
  }
  lines.push(`${i2}n += sizeArrayLength(${flex}, ${x}.length);`);
  const fixed = SCALARS[f.type]?.fixed ?? 0;
  if (fixed > 0 && f.type !== 'int64' && f.type !== 'uuid') lines.push(`${i2}n += ${fixed} * ${x}.length;`);
  else {
    lines.push(`${i2}for (let i = 0; i < ${x}.length; i++) {`, `${i2}  const e = ${x}[i]!;`);
    sizeValue(c, elementOf(f), f.type, 'e', flex, 'false', `${path}[]`, lines, `${i2}  `);
    lines.push(`${i2}}`);
  }
  if (canBeNull) lines.push(`${ind}}`);
}

/** Lines sizing one field of a struct: as a regular field where present, checked for its default where absent. */
function sizeStructField(c: Ctx, s: Struct, f: Field, lines: string[]): void {
  const m = c.m;
  const T = s.typeName;
  const api = JSON.stringify(m.name);
  const rc = m.regularCond(f);
  const x = `o.${f.name}`;
  const flex = fieldFlex(c, f);
  const absentCheck = (ind: string): void => {
    if (f.spec.ignorable) return;
    lines.push(`${ind}if (${nonDefaultExpr(m, f, x, c.needIsDefault)}) encodeFail(${api}, v, ${JSON.stringify(`${T}.${f.name}`)}, 'non-default value in a version without this field');`);
  };
  const tc = f.tagged === null ? 'false' : m.taggedCond(f);
  if (rc === 'true') sizeField(c, f, x, flex, `${T}.${f.name}`, lines, '  ');
  else if (rc === 'false' && tc === 'false') absentCheck('  ');
  else if (rc !== 'false') {
    lines.push(`  if (${rc}) {`);
    sizeField(c, f, x, flex, `${T}.${f.name}`, lines, '    ');
    if (tc === 'false' && !f.spec.ignorable) {
      lines.push('  } else {');
      absentCheck('    ');
    }
    lines.push('  }');
  } else if (!f.spec.ignorable && tc !== 'true') {
    lines.push(`  if (!(${tc})) {`);
    absentCheck('    ');
    lines.push('  }');
  }
}

/** Lines sizing the tagged-field section: the unknown tags kept, the known ones that are not default, and the count. */
function sizeTaggedSection(c: Ctx, s: Struct, lines: string[]): void {
  const m = c.m;
  const tagged = m.taggedFields(s);
  lines.push('  if (flex) {', `    ${tagged.length === 0 ? 'const' : 'let'} tags = o.unknownTaggedFields?.length ?? 0;`, '    n += sizeUnknownTags(o.unknownTaggedFields);');
  for (const f of tagged) {
    const x = `o.${f.name}`;
    lines.push(`    if (${m.taggedCond(f)} && (${nonDefaultExpr(m, f, x, c.needIsDefault)})) {`, '      const before = n;');
    sizeField(c, f, x, 'true', `${s.typeName}.${f.name}`, lines, '      ');
    lines.push('      const size = n - before;', `      n += ${sizeUvarintConst(f.spec.tag!)} + sizeUvarint(size);`, '      tags++;', '    }');
  }
  lines.push('    n += sizeUvarint(tags);', '  }');
}

/** The `size<T>` function of struct `s` (exported for the top-level struct). */
export function emitSize(c: Ctx, s: Struct, top: boolean, lines: string[]): void {
  const hasFlex = c.m.hasFlex();
  lines.push(`${top ? 'export ' : ''}function size${s.typeName}(o: ${s.typeName}, v: number): number {`);
  if (hasFlex) lines.push(`  const flex = ${c.m.cond(c.m.flex)};`);
  lines.push('  let n = 0;');
  for (const f of s.fields) sizeStructField(c, s, f, lines);
  if (hasFlex) sizeTaggedSection(c, s, lines);
  lines.push('  return n;', '}', '');
}
