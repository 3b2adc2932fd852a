/**
 * Default values of spec fields, as TypeScript expressions for the generated code.
 *
 * A field absent from a version decodes as its default, and encoding a non-default value
 * of a field the version lacks is an error; both sides use these expressions, so they agree
 * by construction. Defaults: ints 0 or the spec's (decimal or 0x hex), strings '' or the
 * spec's or null, uuid ZERO_UUID, bytes EMPTY_BYTES or null, records null, arrays [] or
 * null, structs `default<Type>()` or null. float64 compares with Object.is (so -0 and NaN
 * are values of their own).
 */
import type { Field, Message } from './spec-model.ts';

function parseIntDefault(d: string | number | boolean | undefined): number {
  if (d === undefined || d === '') return 0;
  const s = String(d);
  const n = /^-?0x/i.test(s) ? (s.startsWith('-') ? -parseInt(s.slice(1), 16) : parseInt(s, 16)) : Number(s);
  if (!Number.isFinite(n)) throw new Error(`bad default ${s}`);
  return n;
}

/** TS expression for a field's default value. */
export function defaultExpr(m: Message, f: Field): string {
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

/** TS expression: true when `x` differs from the field's default; adds the struct types it needs `isDefault*` for to `need`. */
export function nonDefaultExpr(m: Message, f: Field, x: string, need: Set<string>): string {
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
