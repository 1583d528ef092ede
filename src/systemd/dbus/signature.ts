import { DBusProtocolError } from './errors.js';

/**
 * A parsed D-Bus type. Marshalling walks this tree instead of re-reading
 * signature text, and every parse is cached: the same few signatures
 * (a(sv), a(yv), ...) are used over and over.
 */
export type BasicCode = 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'd' | 'h' | 's' | 'o' | 'g';
export type SigType =
  | { readonly kind: 'basic'; readonly code: BasicCode; readonly text: string }
  | { readonly kind: 'variant'; readonly text: 'v' }
  | { readonly kind: 'array'; readonly elem: SigType; readonly text: string }
  | { readonly kind: 'dict'; readonly key: SigType; readonly value: SigType; readonly text: string }
  | { readonly kind: 'struct'; readonly fields: readonly SigType[]; readonly text: string };

const BASIC = new Set<string>(['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g']);
/** Limits from the specification ("Valid Signatures"). */
export const MAX_SIGNATURE_LENGTH = 255;
const MAX_ARRAY_DEPTH = 32;
const MAX_STRUCT_DEPTH = 32;

const cache = new Map<string, readonly SigType[]>();

/** Parse a signature into its complete types; throws DBusProtocolError if invalid. */
export function parseSignature(sig: string): readonly SigType[] {
  const hit = cache.get(sig);
  if (hit) return hit;
  if (sig.length > MAX_SIGNATURE_LENGTH) throw new DBusProtocolError(`signature longer than ${MAX_SIGNATURE_LENGTH}: ${sig.slice(0, 40)}...`);
  const p = { s: sig, i: 0 };
  const out: SigType[] = [];
  while (p.i < sig.length) out.push(parseOne(p, 0, 0));
  if (cache.size < 512) cache.set(sig, out);
  return out;
}

/** Parse a signature that must be exactly one complete type (a variant's). */
export function parseSingleType(sig: string): SigType {
  const types = parseSignature(sig);
  if (types.length !== 1) throw new DBusProtocolError(`variant signature must be one complete type: '${sig}'`);
  return types[0]!;
}

function parseOne(p: { s: string; i: number }, arrays: number, structs: number): SigType {
  const start = p.i;
  const c = p.s[p.i];
  if (c === undefined) throw new DBusProtocolError(`signature '${p.s}' ends inside a type`);
  p.i++;
  if (BASIC.has(c)) return { kind: 'basic', code: c as BasicCode, text: c };
  if (c === 'v') return { kind: 'variant', text: 'v' };
  if (c === 'a') {
    if (arrays + 1 > MAX_ARRAY_DEPTH) throw new DBusProtocolError(`signature '${p.s}' nests arrays too deep`);
    if (p.s[p.i] === '{') {
      p.i++;
      const key = parseOne(p, arrays + 1, structs + 1);
      if (key.kind !== 'basic') throw new DBusProtocolError(`dict key must be a basic type in '${p.s}'`);
      const value = parseOne(p, arrays + 1, structs + 1);
      if (p.s[p.i] !== '}') throw new DBusProtocolError(`dict entry must have exactly two types in '${p.s}'`);
      p.i++;
      return { kind: 'dict', key, value, text: p.s.slice(start, p.i) };
    }
    const elem = parseOne(p, arrays + 1, structs);
    return { kind: 'array', elem, text: p.s.slice(start, p.i) };
  }
  if (c === '(') {
    if (structs + 1 > MAX_STRUCT_DEPTH) throw new DBusProtocolError(`signature '${p.s}' nests structs too deep`);
    const fields: SigType[] = [];
    while (p.s[p.i] !== ')') {
      if (p.i >= p.s.length) throw new DBusProtocolError(`unterminated struct in '${p.s}'`);
      fields.push(parseOne(p, arrays, structs + 1));
    }
    p.i++;
    if (fields.length === 0) throw new DBusProtocolError(`empty struct in '${p.s}'`);
    return { kind: 'struct', fields, text: p.s.slice(start, p.i) };
  }
  throw new DBusProtocolError(`invalid type code '${c}' in signature '${p.s}'`);
}

/** Alignment in bytes of a type's first byte on the wire. */
export function alignOf(t: SigType): number {
  switch (t.kind) {
    case 'variant':
      return 1;
    case 'array':
    case 'dict':
      return 4;
    case 'struct':
      return 8;
    case 'basic':
      switch (t.code) {
        case 'y':
        case 'g':
          return 1;
        case 'n':
        case 'q':
          return 2;
        case 'x':
        case 't':
        case 'd':
          return 8;
        default:
          return 4;
      }
  }
}
