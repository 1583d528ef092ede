import { DBusProtocolError } from './errors.js';

/**
 * How D-Bus values look in JavaScript:
 *   y n q i u h d   number
 *   x t             bigint (encoding also accepts a safe-integer number)
 *   b               boolean
 *   s o g           string
 *   ay              Uint8Array (encoding also accepts number[])
 *   a<T>            array
 *   a{KV}           Map (encoding also accepts an array of [key, value] pairs)
 *   (...)           array of the fields
 *   v               Variant: { signature, value }
 */
export type DBusKey = number | bigint | boolean | string;
export interface Variant {
  signature: string;
  value: DBusValue;
}
export type DBusValue = DBusKey | Uint8Array | Variant | DBusValue[] | Map<DBusKey, DBusValue>;

export function variant(signature: string, value: DBusValue): Variant {
  return { signature, value };
}

export function isVariant(v: unknown): v is Variant {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Map) &&
    typeof (v as { signature?: unknown }).signature === 'string' &&
    'value' in v
  );
}

// Checked accessors for replies: the peer is another program, so its reply
// shape is checked rather than cast. `what` names the value in the error.

function bad(what: string, expected: string, v: unknown): never {
  const got = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  throw new DBusProtocolError(`unexpected reply: ${what} should be ${expected}, got ${got}`);
}

export function asString(v: DBusValue | undefined, what: string): string {
  return typeof v === 'string' ? v : bad(what, 'a string', v);
}
export function asNumber(v: DBusValue | undefined, what: string): number {
  return typeof v === 'number' ? v : bad(what, 'a number', v);
}
export function asBigInt(v: DBusValue | undefined, what: string): bigint {
  return typeof v === 'bigint' ? v : bad(what, 'a 64-bit integer', v);
}
export function asBoolean(v: DBusValue | undefined, what: string): boolean {
  return typeof v === 'boolean' ? v : bad(what, 'a boolean', v);
}
export function asArray(v: DBusValue | undefined, what: string): DBusValue[] {
  return Array.isArray(v) ? v : bad(what, 'an array', v);
}
export function asBytes(v: DBusValue | undefined, what: string): Uint8Array {
  return v instanceof Uint8Array ? v : bad(what, 'a byte array', v);
}
export function asVariant(v: DBusValue | undefined, what: string): Variant {
  return isVariant(v) ? v : bad(what, 'a variant', v);
}
export function asMap(v: DBusValue | undefined, what: string): Map<DBusKey, DBusValue> {
  return v instanceof Map ? v : bad(what, 'a dict', v);
}
