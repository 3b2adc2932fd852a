/**
 * Generates the Kafka protocol codecs from the vendored JSON message specs.
 *
 *   spec/*.json          -> src/kafka/generated/<kebab-name>.ts (one per message), index.ts, registry.ts
 *   spec/error-codes.json -> src/errors/error-codes.ts
 *   (same specs)          -> test/generated/arbitraries.ts (fast-check arbitraries for the round-trip test)
 *
 * Run: `pnpm --filter @samsa/codec generate` (tsx scripts/generate.ts). `generate()` is pure
 * (spec dir in, Map<relative path, text> out) so scripts/generate.test.ts can diff it against
 * the committed files.
 *
 * Per message the generator emits an interface, size/write/read functions and a Meta object;
 * nested structs become `<Message><Struct>` interfaces with private functions. The version
 * is a runtime argument: every version-dependent choice is an `if (v >= n)` in the output.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------- spec model

type Range = readonly [number, number] | null; // inclusive, Infinity for "n+", null for "none"

interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  ignorable?: boolean;
  default?: string | number | boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: SpecField[];
}
interface Spec {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: SpecField[];
  commonStructs?: { name: string; versions: string; fields: SpecField[] }[];
}

interface Field {
  spec: SpecField;
  name: string; // camelCase
  type: string; // element type for arrays
  isArray: boolean;
  versions: Range;
  nullable: Range;
  tagged: Range;
  flexOverride: Range | undefined;
}

const SCALARS: Record<string, { ts: string; fixed: number }> = {
  bool: { ts: 'boolean', fixed: 1 },
  int8: { ts: 'number', fixed: 1 },
  int16: { ts: 'number', fixed: 2 },
  uint16: { ts: 'number', fixed: 2 },
  int32: { ts: 'number', fixed: 4 },
  uint32: { ts: 'number', fixed: 4 },
  int64: { ts: 'number', fixed: 8 },
  float64: { ts: 'number', fixed: 8 },
  uuid: { ts: 'string', fixed: 16 },
  string: { ts: 'string', fixed: 0 },
  bytes: { ts: 'Uint8Array', fixed: 0 },
  records: { ts: 'Uint8Array', fixed: 0 },
};

export function stripComments(text: string): string {
  return text.replace(/^\s*\/\/.*$/gm, '');
}

export function parseRange(s: string | undefined): Range {
  if (s === undefined || s === 'none') return null;
  const plus = /^(\d+)\+$/.exec(s);
  if (plus) return [Number(plus[1]), Infinity];
  const dash = /^(\d+)-(\d+)$/.exec(s);
  if (dash) return [Number(dash[1]), Number(dash[2])];
  if (/^\d+$/.test(s)) return [Number(s), Number(s)];
  throw new Error(`bad version range ${s}`);
}

const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
export const kebab = (s: string): string =>
  s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();

function toField(f: SpecField): Field {
  const isArray = f.type.startsWith('[]');
  return {
    spec: f,
    name: camel(f.name),
    type: isArray ? f.type.slice(2) : f.type,
    isArray,
    versions: parseRange(f.versions),
    nullable: parseRange(f.nullableVersions),
    tagged: f.tag === undefined ? null : parseRange(f.taggedVersions),
    flexOverride: f.flexibleVersions === undefined ? undefined : parseRange(f.flexibleVersions),
  };
}

interface Struct {
  typeName: string; // TS name
  fields: Field[];
}

/** One spec, resolved: every struct (top-level first) with a unique TS name. */
class Message {
  readonly spec: Spec;
  readonly name: string;
  readonly valid: readonly [number, number];
  readonly flex: Range;
  readonly structs = new Map<string, Struct>(); // by spec struct name ('' = top level)

  constructor(spec: Spec) {
    this.spec = spec;
    this.name = spec.name;
    const valid = parseRange(spec.validVersions);
    if (valid === null) throw new Error(`${spec.name}: no valid versions`);
    this.valid = valid;
    this.flex = parseRange(spec.flexibleVersions);
    this.addStruct('', spec.fields);
    for (const c of spec.commonStructs ?? []) this.addStruct(c.name, c.fields);
  }

  private addStruct(specName: string, fields: SpecField[]): void {
    if (this.structs.has(specName)) throw new Error(`${this.name}: struct ${specName} defined twice`);
    this.structs.set(specName, { typeName: this.name + specName, fields: fields.map(toField) });
    for (const f of fields) if (f.fields) this.addStruct(f.type.replace(/^\[\]/, ''), f.fields);
  }

  struct(type: string): Struct {
    const s = this.structs.get(type);
    if (!s) throw new Error(`${this.name}: unknown type ${type}`);
    return s;
  }
  isStruct(type: string): boolean {
    return !(type in SCALARS);
  }

  /** TS condition for "version within range" over this message's valid versions; 'true'/'false' when constant. */
  cond(range: Range, v = 'v'): string {
    if (range === null) return 'false';
    const [lo, hi] = range;
    const [vlo, vhi] = this.valid;
    if (lo > vhi || hi < vlo) return 'false';
    const parts: string[] = [];
    if (lo > vlo) parts.push(`${v} >= ${lo}`);
    if (hi < vhi) parts.push(`${v} <= ${hi}`);
    return parts.length === 0 ? 'true' : parts.join(' && ');
  }
  hasFlex(): boolean {
    return this.cond(this.flex) !== 'false';
  }

  /** Smallest encoding of a struct over all valid versions (bounds array counts before allocating). */
  minStructBytes(s: Struct, seen = new Set<Struct>()): number {
    if (seen.has(s)) return 0;
    let best = Infinity;
    for (let v = this.valid[0]; v <= this.valid[1]; v++) best = Math.min(best, this.minStructBytesAt(s, v, new Set([...seen, s])));
    return best;
  }
  private minStructBytesAt(s: Struct, v: number, seen: Set<Struct>): number {
    const flex = inRange(this.flex, v);
    let n = flex ? 1 : 0;
    for (const f of s.fields) {
      if (!inRange(f.versions, v) || (flex && inRange(f.tagged, v))) continue;
      const fflex = flex && (f.flexOverride === undefined || inRange(f.flexOverride, v));
      if (f.isArray) n += fflex ? 1 : 4;
      else if (this.isStruct(f.type)) n += inRange(f.nullable, v) ? 1 : this.minStructBytes(this.struct(f.type), seen);
      else if (f.type === 'string') n += fflex ? 1 : 2;
      else if (f.type === 'bytes' || f.type === 'records') n += fflex ? 1 : 4;
      else n += SCALARS[f.type]!.fixed;
    }
    return n;
  }
}

const inRange = (r: Range, v: number): boolean => r !== null && v >= r[0] && v <= r[1];

/** The element of an array field, as a non-nullable field without a default. */
const elementOf = (f: Field): Field => ({ ...f, isArray: false, nullable: null, spec: { ...f.spec, default: undefined } });

// ---------------------------------------------------------------- defaults

function parseIntDefault(d: string | number | boolean | undefined): number {
  if (d === undefined || d === '') return 0;
  const s = String(d);
  const n = /^-?0x/i.test(s) ? (s.startsWith('-') ? -parseInt(s.slice(1), 16) : parseInt(s, 16)) : Number(s);
  if (!Number.isFinite(n)) throw new Error(`bad default ${s}`);
  return n;
}

/** TS expression for a field's default value. */
function defaultExpr(m: Message, f: Field): string {
  const d = f.spec.default;
  if (f.isArray) return d === 'null' ? 'null' : '[]';
  if (m.isStruct(f.type)) return d === 'null' ? 'null' : `default${m.struct(f.type).typeName}()`;
  switch (f.type) {
    case 'bool':
      return String(d === true || d === 'true');
    case 'string':
      return d === 'null' ? 'null' : JSON.stringify(d ?? '');
    case 'uuid':
      return 'ZERO_UUID';
    case 'bytes':
      return d === 'null' ? 'null' : 'EMPTY_BYTES';
    case 'records':
      return 'null';
    default:
      return String(parseIntDefault(d));
  }
}

/** TS expression: true when `x` differs from the field's default. */
function nonDefaultExpr(m: Message, f: Field, x: string, need: Set<string>): string {
  const d = defaultExpr(m, f);
  if (f.isArray) return d === 'null' ? `${x} !== null` : `${x} === null || ${x}.length !== 0`;
  if (m.isStruct(f.type)) {
    if (d === 'null') return `${x} !== null`;
    const t = m.struct(f.type).typeName;
    need.add(t);
    return `${x} === null || !isDefault${t}(${x})`;
  }
  if (f.type === 'bytes' || f.type === 'records') return d === 'null' ? `${x} !== null` : `${x} === null || ${x}.length !== 0`;
  if (f.type === 'float64') return `!Object.is(${x}, ${d})`;
  return `${x} !== ${d}`;
}

// ---------------------------------------------------------------- codec emission

interface Ctx {
  m: Message;
  flexExpr: string; // 'flex' or 'false' or 'true'
  needDefault: Set<string>; // struct type names needing default*/isDefault*
  needIsDefault: Set<string>;
}

function tsType(m: Message, f: Field): string {
  const base = m.isStruct(f.type) ? m.struct(f.type).typeName : SCALARS[f.type]!.ts;
  const t = f.isArray ? `${base}[]` : base;
  const nullable = m.cond(f.nullable) !== 'false' || defaultExpr(m, f) === 'null';
  return nullable ? `${t} | null` : t;
}

/** Flex expression for one field (RequestHeader's ClientId is never compact). */
function fieldFlex(c: Ctx, f: Field): string {
  if (f.flexOverride === undefined) return c.flexExpr;
  const o = c.m.cond(f.flexOverride);
  return o === 'false' ? 'false' : o === 'true' ? c.flexExpr : `(${c.flexExpr} && ${o})`;
}

function minElementBytes(c: Ctx, type: string, flex: string): string {
  if (c.m.isStruct(type)) return String(Math.max(1, c.m.minStructBytes(c.m.struct(type))));
  if (type === 'string' || type === 'bytes' || type === 'records') return `(${flex} ? 1 : ${type === 'string' ? 2 : 4})`;
  return String(SCALARS[type]!.fixed);
}

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
function sizeField(c: Ctx, f: Field, x: string, flex: string, path: string, lines: string[], ind: string): void {
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

/** Expression reading one non-array value. */
function readValue(c: Ctx, f: Field, type: string, flex: string, nullableCond: string): string {
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
    lines.push(`${ind}${x} = ${readValue(c, f, f.type, flex, c.m.cond(f.nullable))};`, `${ind}if (r.failed) return r.bail(${seg});`);
    return;
  }
  const elemT = c.m.isStruct(f.type) ? c.m.struct(f.type).typeName : SCALARS[f.type]!.ts;
  lines.push(`${ind}{`, `${ind}  const count = r.arrayLength(${flex}, ${c.m.cond(f.nullable)}, ${minElementBytes(c, f.type, flex)});`);
  lines.push(`${ind}  if (r.failed) return r.bail(${seg});`);
  lines.push(`${ind}  if (count < 0) ${tsType(c.m, f).includes('null') ? `${x} = null` : 'return r.bail(' + seg + ')'};`, `${ind}  else {`, `${ind}    const a: ${elemT}[] = [];`);
  lines.push(`${ind}    for (let i = 0; i < count; i++) {`);
  lines.push(`${ind}      a.push(${readValue(c, elementOf(f), f.type, flex, 'false')});`);
  lines.push(`${ind}      if (r.failed) { r.at(i); return r.bail(${seg}); }`, `${ind}    }`, `${ind}    ${x} = a;`, `${ind}  }`, `${ind}}`);
}

function emitStruct(c: Ctx, s: Struct, top: boolean, out: string[]): void {
  const m = c.m;
  const T = s.typeName;
  const api = JSON.stringify(m.name);
  const hasFlex = m.hasFlex();
  const flexCond = m.cond(m.flex);
  const exp = top ? 'export ' : ''; // nested struct functions stay private; every interface is exported
  const regular = s.fields.filter((f) => m.cond(f.versions) !== 'false');
  const tagged = s.fields.filter((f) => f.tagged !== null && m.cond(f.tagged) !== 'false').sort((a, b) => a.spec.tag! - b.spec.tag!);
  /** Condition for "f is a regular (untagged) field at v". */
  const regCond = (f: Field): string => {
    const p = m.cond(f.versions);
    const t = f.tagged === null ? 'false' : m.cond(f.tagged);
    if (t === 'false') return p;
    if (p === 'false') return 'false';
    return `${p === 'true' ? '' : `${p} && `}!(${flexCond} && ${t})`;
  };
  const tagCond = (f: Field): string => {
    const t = m.cond(f.tagged);
    const p = m.cond(f.versions);
    return [flexCond, t, p].filter((x) => x !== 'true').join(' && ') || 'true';
  };

  // interface
  out.push(`export interface ${T} {`);
  for (const f of s.fields) {
    if (f.spec.about) out.push(`  /** ${f.spec.about.replace(/\*\//g, '* /')} */`);
    out.push(`  ${f.name}: ${tsType(m, f)};`);
  }
  if (hasFlex) out.push('  /** Tagged fields this codec does not know, preserved on decode and re-encoded. */', '  unknownTaggedFields?: TaggedField[];');
  out.push('}', '');

  // size
  const lines: string[] = [];
  const fnName = (verb: string): string => `${exp}function ${verb}${T}`;
  lines.push(`${fnName('size')}(o: ${T}, v: number): number {`);
  if (hasFlex) lines.push(`  const flex = ${flexCond};`);
  lines.push('  let n = 0;');
  for (const f of s.fields) {
    const rc = regCond(f);
    const x = `o.${f.name}`;
    const flex = fieldFlex(c, f);
    const absentCheck = (ind: string): void => {
      if (f.spec.ignorable) return;
      lines.push(`${ind}if (${nonDefaultExpr(m, f, x, c.needIsDefault)}) encodeFail(${api}, v, ${JSON.stringify(`${T}.${f.name}`)}, 'non-default value in a version without this field');`);
    };
    const tc = f.tagged === null ? 'false' : tagCond(f);
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
  if (hasFlex) {
    lines.push('  if (flex) {', `    ${tagged.length === 0 ? 'const' : 'let'} tags = o.unknownTaggedFields?.length ?? 0;`, '    n += sizeUnknownTags(o.unknownTaggedFields);');
    for (const f of tagged) {
      const x = `o.${f.name}`;
      lines.push(`    if (${tagCond(f)} && (${nonDefaultExpr(m, f, x, c.needIsDefault)})) {`, '      const before = n;');
      sizeField(c, f, x, 'true', `${T}.${f.name}`, lines, '      ');
      lines.push('      const size = n - before;', `      n += ${sizeUvarintConst(f.spec.tag!)} + sizeUvarint(size);`, '      tags++;', '    }');
    }
    lines.push('    n += sizeUvarint(tags);', '  }');
  }
  lines.push('  return n;', '}', '');

  // write
  lines.push(`${fnName('write')}(w: Writer, o: ${T}, v: number): void {`);
  if (hasFlex) lines.push(`  const flex = ${flexCond};`);
  for (const f of regular) {
    const rc = regCond(f);
    if (rc === 'false') continue;
    const x = `o.${f.name}`;
    if (rc === 'true') writeField(c, f, x, fieldFlex(c, f), lines, '  ');
    else {
      lines.push(`  if (${rc}) {`);
      writeField(c, f, x, fieldFlex(c, f), lines, '    ');
      lines.push('  }');
    }
  }
  if (hasFlex) {
    lines.push('  if (flex) {');
    if (tagged.length === 0) {
      lines.push('    const unknown = o.unknownTaggedFields;', '    w.uvarint(unknown?.length ?? 0);', '    writeUnknownTagsBelow(w, unknown, 0, Infinity);');
    } else {
      lines.push('    let tags = o.unknownTaggedFields?.length ?? 0;');
      for (const f of tagged) lines.push(`    const has${f.spec.name} = ${tagCond(f)} && (${nonDefaultExpr(m, f, `o.${f.name}`, c.needIsDefault)});`, `    if (has${f.spec.name}) tags++;`);
      lines.push('    w.uvarint(tags);', '    let u = 0;');
      for (const f of tagged) {
        const x = `o.${f.name}`;
        lines.push(`    u = writeUnknownTagsBelow(w, o.unknownTaggedFields, u, ${f.spec.tag});`);
        lines.push(`    if (has${f.spec.name}) {`, `      w.uvarint(${f.spec.tag});`, '      let n = 0;');
        sizeField(c, f, x, 'true', `${T}.${f.name}`, lines, '      ');
        lines.push('      w.uvarint(n);');
        writeField(c, f, x, 'true', lines, '      ');
        lines.push('    }');
      }
      lines.push('    writeUnknownTagsBelow(w, o.unknownTaggedFields, u, Infinity);');
    }
    lines.push('  }');
  }
  lines.push('}', '');

  // read
  lines.push(`${fnName('read')}(r: Reader, v: number): ${T} {`);
  if (top) lines.push(`  r.api = ${api};`, '  r.version = v;');
  if (hasFlex) lines.push(`  const flex = ${flexCond};`);
  for (const f of s.fields) lines.push(`  let ${f.name}: ${tsType(m, f)} = ${defaultExpr(m, f)};`);
  if (hasFlex) lines.push('  let unknownTaggedFields: TaggedField[] | undefined;');
  for (const f of regular) {
    const rc = regCond(f);
    if (rc === 'false') continue;
    if (rc === 'true') readField(c, f, f.name, fieldFlex(c, f), lines, '  ');
    else {
      lines.push(`  if (${rc}) {`);
      readField(c, f, f.name, fieldFlex(c, f), lines, '    ');
      lines.push('  }');
    }
  }
  if (hasFlex) {
    lines.push('  if (flex) {', '    const tags = r.tagCount();', '    for (let t = 0; t < tags && !r.failed; t++) {');
    lines.push('      const tag = r.uvarint();', '      const size = r.tagSize();', '      const end = r.pos + size;');
    let first = true;
    for (const f of tagged) {
      lines.push(`      ${first ? '' : '} else '}if (tag === ${f.spec.tag} && ${tagCond(f)}) {`);
      readField(c, f, f.name, 'true', lines, '        ');
      first = false;
    }
    lines.push(`      ${first ? '{' : '} else {'}`, '        (unknownTaggedFields ??= []).push({ tag, data: r.raw(size) });', '      }');
    lines.push(`      if (r.pos !== end) r.fail('bad-length', 'tagged field ' + tag + ' size mismatch');`, '    }');
    lines.push("    if (r.failed) return r.bail('(tagged fields)');", '  }');
  }
  const all = s.fields.map((f) => f.name);
  if (hasFlex) all.push('unknownTaggedFields');
  lines.push(`  return { ${all.join(', ')} };`, '}', '');
  out.push(...lines);
}

function sizeUvarintConst(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function emitDefaults(c: Ctx, out: string[]): void {
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

export function emitMessage(spec: Spec, file: string): string {
  const m = new Message(spec);
  const c: Ctx = { m, flexExpr: m.hasFlex() ? 'flex' : 'false', needDefault: new Set(), needIsDefault: new Set() };
  const body: string[] = [];
  const top = m.struct('');
  emitStruct(c, top, true, body);
  for (const [name, s] of m.structs) if (name !== '') emitStruct(c, s, false, body);
  // default structs referenced as field defaults
  for (const s of m.structs.values()) for (const f of s.fields) if (!f.isArray && m.isStruct(f.type) && f.spec.default !== 'null') c.needDefault.add(m.struct(f.type).typeName);
  const defaults: string[] = [];
  emitDefaults(c, defaults);
  const flex = m.flex === null ? 'null' : `[${m.flex[0]}, ${m.flex[1] === Infinity ? 'null' : m.flex[1]}]`;
  const meta = `{ apiKey: ${spec.apiKey ?? -1}, name: '${m.name}', type: '${spec.type}', validVersions: [${m.valid[0]}, ${m.valid[1]}], flexibleVersions: ${flex} } as const satisfies MessageMeta`;
  const text = [
    `// DO NOT EDIT: generated by scripts/generate.ts from spec/${file}`,
    `/**`,
    ` * ${m.name}${spec.apiKey !== undefined ? ` (api key ${spec.apiKey})` : ''}: versions ${m.valid[0]}-${m.valid[1]}, flexible ${m.flex === null ? 'none' : `${m.flex[0]}+`}.`,
    ` * Read with a sticky Reader and check \`r.failed\`/\`r.complete()\`; size before write.`,
    ` */`,
    `/* eslint-disable */`,
    `import type { Reader } from '../../primitives/reader.ts';`,
    `import type { Writer } from '../../primitives/writer.ts';`,
    `import { sizeString, sizeNullableString, sizeBytes, sizeNullableBytes, sizeArrayLength, sizeUvarint } from '../../primitives/writer.ts';`,
    `import { isUuid, ZERO_UUID } from '../../primitives/uuid.ts';`,
    `import { utf8Length } from '../../primitives/utf8.ts';`,
    `import { EMPTY_BYTES, encodeFail, checkInt64, sizeUnknownTags, writeUnknownTagsBelow } from '../codec-support.ts';`,
    `import type { MessageCodec, MessageMeta, TaggedField } from '../message-codec.ts';`,
    ``,
    `export const ${m.name}Meta = ${meta};`,
    ``,
    ...body,
    ...defaults,
    `export const ${m.name}Codec: MessageCodec<${m.name}> = { name: '${m.name}', size: size${m.name}, write: write${m.name}, read: read${m.name}, meta: ${m.name}Meta };`,
    ``,
  ].join('\n');
  return pruneImports(text);
}

/** Drops unused named imports so the generated files stay lint- and tsc-clean. */
function pruneImports(text: string): string {
  const [head, rest] = splitImports(text);
  const used = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(rest);
  const lines = head.map((line) => {
    const mm = /^import (type )?\{ (.*) \} from (.*);$/.exec(line);
    if (!mm) return line;
    const names = mm[2]!.split(', ').filter(used);
    return names.length === 0 ? null : `import ${mm[1] ?? ''}{ ${names.join(', ')} } from ${mm[3]};`;
  });
  return [...lines.filter((l) => l !== null), rest].join('\n');
}
function splitImports(text: string): [string[], string] {
  const all = text.split('\n');
  const idx = all.findIndex((l) => l.startsWith('export const'));
  return [all.slice(0, idx), all.slice(idx).join('\n')];
}

// ---------------------------------------------------------------- arbitraries (test support)

function emitArbitraries(specs: [Spec, string][]): string {
  const out: string[] = [
    '// DO NOT EDIT: generated by scripts/generate.ts from spec/*.json',
    '/**',
    ' * fast-check arbitraries for every generated message, per version: fields absent in a',
    ' * version hold their default, nullable only where the version allows null, unknown tagged',
    ' * fields (sorted, not colliding with known tags) only in flexible versions.',
    ' */',
    '/* eslint-disable */',
    "import fc from 'fast-check';",
    "import type { Arbitrary } from 'fast-check';",
    "import * as k from '../../src/kafka/generated/index.ts';",
    "import { ZERO_UUID } from '../../src/primitives/uuid.ts';",
    "import { EMPTY_BYTES } from '../../src/kafka/codec-support.ts';",
    "import { arbScalar, arbUnknownTags, arbList } from '../arbitrary-support.ts';",
    '',
  ];
  const entries: string[] = [];
  for (const [spec] of specs) {
    const m = new Message(spec);
    const flexCond = m.cond(m.flex);
    for (const [name, s] of m.structs) {
      const T = s.typeName;
      const fn = name === '' ? `export function arb${T}` : `function arb${T}`;
      out.push(`${fn}(v: number): Arbitrary<k.${T}> {`);
      const knownTags = s.fields.filter((f) => f.spec.tag !== undefined).map((f) => f.spec.tag);
      const fields: string[] = [];
      for (const f of s.fields) {
        const present = [m.cond(f.versions), f.tagged === null ? 'false' : `(${flexCond} && ${m.cond(f.tagged)})`].filter((x) => x !== 'false').join(' || ') || 'false';
        const nullableCond = m.cond(f.nullable);
        let elem: string;
        if (m.isStruct(f.type)) elem = `arb${m.struct(f.type).typeName}(v)`;
        else elem = `arbScalar('${f.type}')`;
        let value = f.isArray ? `arbList(${elem})` : elem;
        if (nullableCond !== 'false') value = `(${nullableCond} ? fc.option(${value}, { nil: null }) : ${value})`;
        const d = `fc.constant(${defaultExpr(m, f).replace(/^default(\w+)\(\)$/, 'arbDefault_$1()')})`;
        fields.push(`    ${f.name}: ${present === 'true' ? value : present === 'false' ? d : `${present} ? ${value} : ${d}`},`);
      }
      if (m.hasFlex()) fields.push(`    unknownTaggedFields: ${flexCond === 'true' ? '' : `!(${flexCond}) ? fc.constant(undefined) : `}arbUnknownTags([${knownTags.join(', ')}]),`);
      out.push('  return fc.record({', ...fields, '  });', '}', '');
    }
    // defaults for absent struct fields, mirroring the codec's default*() helpers
    for (const s of m.structs.values()) {
      out.push(`function arbDefault_${s.typeName}(): k.${s.typeName} {`);
      out.push(`  return { ${s.fields.map((f) => `${f.name}: ${defaultExpr(m, f).replace(/^default(\w+)\(\)$/, 'arbDefault_$1()')}`).join(', ')} } as k.${s.typeName};`, '}', '');
    }
    entries.push(`  ['${m.name}', arb${m.name}],`);
  }
  out.push('export const arbitraries: ReadonlyMap<string, (v: number) => Arbitrary<unknown>> = new Map<string, (v: number) => Arbitrary<unknown>>([', ...entries, ']);', '');
  return out.join('\n');
}

// ---------------------------------------------------------------- registry, index, error codes

function emitIndex(specs: [Spec, string][]): string {
  return [
    '// DO NOT EDIT: generated by scripts/generate.ts from spec/*.json',
    '/** Every generated message codec. */',
    ...specs.map(([s]) => `export * from './${kebab(s.name)}.ts';`),
    '',
  ].join('\n');
}

function emitRegistry(specs: [Spec, string][]): string {
  const byKey = new Map<number, { req?: string; res?: string }>();
  for (const [s] of specs) {
    if (s.apiKey === undefined) continue;
    const e = byKey.get(s.apiKey) ?? {};
    if (s.type === 'request') e.req = s.name;
    else e.res = s.name;
    byKey.set(s.apiKey, e);
  }
  const keys = [...byKey.keys()].sort((a, b) => a - b);
  const imports: string[] = [];
  const rows: string[] = [];
  for (const k of keys) {
    const e = byKey.get(k)!;
    if (!e.req || !e.res) throw new Error(`api key ${k} lacks a request or response`);
    imports.push(`import { ${e.req}Codec } from './${kebab(e.req)}.ts';`, `import { ${e.res}Codec } from './${kebab(e.res)}.ts';`);
    const base = e.req.replace(/Request$/, '');
    rows.push(`  [${k}, { name: '${base}', apiKey: ${k}, request: ${e.req}Codec, response: ${e.res}Codec, minVersion: ${e.req}Codec.meta.validVersions[0], maxVersion: ${e.req}Codec.meta.validVersions[1] }],`);
  }
  return [
    '// DO NOT EDIT: generated by scripts/generate.ts from spec/*.json',
    '/** Every Kafka API by key: its request and response codecs and the version range of the specs. */',
    "import type { MessageCodec } from '../message-codec.ts';",
    ...imports,
    '',
    'export interface ApiEntry {',
    '  readonly name: string;',
    '  readonly apiKey: number;',
    '  readonly request: MessageCodec<any>;',
    '  readonly response: MessageCodec<any>;',
    '  readonly minVersion: number;',
    '  readonly maxVersion: number;',
    '}',
    '',
    'export const apiByKey: ReadonlyMap<number, ApiEntry> = new Map<number, ApiEntry>([',
    ...rows,
    ']);',
    '',
  ].join('\n');
}

interface ErrorCodeSpec {
  code: number;
  name: string;
  message: string;
  retriable: boolean;
}

function emitErrorCodes(codes: ErrorCodeSpec[]): string {
  // Kafka's Errors.NONE (0) is not in the extracted table; responses need it most.
  const withNone = codes.some((e) => e.code === 0) ? codes : [...codes, { code: 0, name: 'NONE', message: 'No error.', retriable: false }];
  const sorted = [...withNone].sort((a, b) => a.code - b.code);
  return [
    '// DO NOT EDIT: generated by scripts/generate.ts from spec/error-codes.json',
    '/**',
    ' * Kafka protocol error codes: `ErrorCode.NAME` is the int16 that goes into responses;',
    ' * `errorInfo(code)` gives its name, default message and whether a client may retry.',
    ' */',
    '',
    'export const ErrorCode = {',
    ...sorted.map((e) => `  ${e.name}: ${e.code},`),
    '} as const;',
    '',
    'export type ErrorCodeName = keyof typeof ErrorCode;',
    'export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];',
    '',
    'export interface ErrorInfo {',
    '  readonly code: number;',
    '  readonly name: string;',
    '  readonly message: string;',
    '  readonly retriable: boolean;',
    '}',
    '',
    'const infos: readonly ErrorInfo[] = [',
    ...sorted.map((e) => `  { code: ${e.code}, name: '${e.name}', message: ${JSON.stringify(e.message)}, retriable: ${e.retriable} },`),
    '];',
    'const byCode = new Map<number, ErrorInfo>(infos.map((e) => [e.code, e]));',
    '',
    '/** Name, message and retriability of an error code; unknown codes map to a synthetic entry. */',
    'export function errorInfo(code: number): ErrorInfo {',
    "  return byCode.get(code) ?? { code, name: 'UNKNOWN_ERROR_CODE', message: `Unknown error code ${code}.`, retriable: false };",
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- driver

export function loadSpecs(specDir: string): [Spec, string][] {
  return readdirSync(specDir)
    .filter((f) => f.endsWith('.json') && f !== 'error-codes.json')
    .sort()
    .map((f) => [JSON.parse(stripComments(readFileSync(join(specDir, f), 'utf8'))) as Spec, f]);
}

/** All generated files, keyed by path relative to the package root. */
export function generate(packageDir: string): Map<string, string> {
  const specDir = join(packageDir, 'spec');
  const specs = loadSpecs(specDir);
  const files = new Map<string, string>();
  for (const [spec, file] of specs) files.set(`src/kafka/generated/${kebab(spec.name)}.ts`, emitMessage(spec, file));
  files.set('src/kafka/generated/index.ts', emitIndex(specs));
  files.set('src/kafka/generated/registry.ts', emitRegistry(specs));
  files.set('test/generated/arbitraries.ts', emitArbitraries(specs));
  const codes = JSON.parse(readFileSync(join(specDir, 'error-codes.json'), 'utf8')) as ErrorCodeSpec[];
  files.set('src/errors/error-codes.ts', emitErrorCodes(codes));
  return files;
}

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = generate(packageRoot);
  for (const [rel, text] of files) {
    const path = join(packageRoot, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  console.log(`generated ${files.size} files`);
}
