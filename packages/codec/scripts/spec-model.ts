/**
 * The spec model: Kafka's JSON message specs, parsed and resolved for the emitters.
 *
 * A `Message` is one spec with every struct (top level under '', then inline and common
 * structs) given a unique TypeScript name `<MessageName><StructName>`; a struct defined
 * twice is an error. Version ranges are inclusive `[lo, hi]` (`hi` Infinity for "n+",
 * `null` for "none"). `Message.cond` turns a range into the TypeScript condition on `v`
 * that the generated code tests, simplified to 'true'/'false' when it holds for every
 * valid version or none, so no emitter writes a test that cannot fail.
 *
 * Pure: no I/O; the driver (generate.ts) reads the files.
 */

export type Range = readonly [number, number] | null; // inclusive, Infinity for "n+", null for "none"

export interface SpecField {
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
export interface Spec {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: SpecField[];
  commonStructs?: { name: string; versions: string; fields: SpecField[] }[];
}

export interface Field {
  spec: SpecField;
  name: string; // camelCase
  type: string; // element type for arrays
  isArray: boolean;
  versions: Range;
  nullable: Range;
  tagged: Range;
  flexOverride: Range | undefined;
}

export const SCALARS: Record<string, { ts: string; fixed: number }> = {
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

export const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
export const kebab = (s: string): string =>
  s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();

/** Kafka's name of the API a request or response message belongs to: `ProduceRequest` -> `Produce`. */
export const apiNameOf = (messageName: string): string => messageName.replace(/(Request|Response)$/, '');

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

export interface Struct {
  typeName: string; // TS name
  fields: Field[];
}

/** One spec, resolved: every struct (top-level first) with a unique TS name. */
export class Message {
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

  /** Condition for "f is a regular (untagged) field at v". */
  regularCond(f: Field): string {
    const p = this.cond(f.versions);
    const t = f.tagged === null ? 'false' : this.cond(f.tagged);
    if (t === 'false') return p;
    if (p === 'false') return 'false';
    return `${p === 'true' ? '' : `${p} && `}!(${this.cond(this.flex)} && ${t})`;
  }

  /** Condition for "f is a tagged field at v" (flexible, in its tagged and its field versions). */
  taggedCond(f: Field): string {
    const t = this.cond(f.tagged);
    const p = this.cond(f.versions);
    return [this.cond(this.flex), t, p].filter((x) => x !== 'true').join(' && ') || 'true';
  }

  /** The fields of `s` that are tagged in some valid version, in ascending tag order. */
  taggedFields(s: Struct): Field[] {
    return s.fields.filter((f) => f.tagged !== null && this.cond(f.tagged) !== 'false').sort((a, b) => a.spec.tag! - b.spec.tag!);
  }
}

export const inRange = (r: Range, v: number): boolean => r !== null && v >= r[0] && v <= r[1];

/** The element of an array field, as a non-nullable field without a default. */
export const elementOf = (f: Field): Field => ({ ...f, isArray: false, nullable: null, spec: { ...f.spec, default: undefined } });
