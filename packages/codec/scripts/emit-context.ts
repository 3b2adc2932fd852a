/**
 * What the per-message emitters share: the context of one message being emitted and the
 * small helpers every one of them calls (field types, flex expressions, minimum sizes).
 *
 * `Ctx.needIsDefault` collects, while the size and write functions are emitted, the struct
 * types whose `isDefault*` helper the output calls; `needDefault` the ones whose `default*`
 * is called. The default emitter runs last and emits exactly those (and what they need).
 */
import { defaultExpr } from './default-values.ts';
import { SCALARS } from './spec-model.ts';
import type { Field, Message } from './spec-model.ts';

export interface Ctx {
  m: Message;
  flexExpr: string; // 'flex' or 'false' or 'true'
  needDefault: Set<string>; // struct type names needing default*/isDefault*
  needIsDefault: Set<string>;
}

export function newCtx(m: Message): Ctx {
  return { m, flexExpr: m.hasFlex() ? 'flex' : 'false', needDefault: new Set(), needIsDefault: new Set() };
}

/** TS type of a field's value (`| null` when some version allows null or the default is null). */
export function tsType(m: Message, f: Field): string {
  const base = m.isStruct(f.type) ? m.struct(f.type).typeName : SCALARS[f.type]!.ts;
  const t = f.isArray ? `${base}[]` : base;
  const nullable = m.cond(f.nullable) !== 'false' || defaultExpr(m, f) === 'null';
  return nullable ? `${t} | null` : t;
}

/** Flex expression for one field (RequestHeader's ClientId is never compact). */
export function fieldFlex(c: Ctx, f: Field): string {
  if (f.flexOverride === undefined) return c.flexExpr;
  const o = c.m.cond(f.flexOverride);
  return o === 'false' ? 'false' : o === 'true' ? c.flexExpr : `(${c.flexExpr} && ${o})`;
}

/** Expression: the fewest bytes one array element of `type` can take (bounds a count before allocating). */
export function minElementBytes(c: Ctx, type: string, flex: string): string {
  if (c.m.isStruct(type)) return String(Math.max(1, c.m.minStructBytes(c.m.struct(type))));
  if (type === 'string' || type === 'bytes' || type === 'records') return `(${flex} ? 1 : ${type === 'string' ? 2 : 4})`;
  return String(SCALARS[type]!.fixed);
}

/** Bytes of an unsigned varint, computed at generation time (tag numbers). */
export function sizeUvarintConst(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
