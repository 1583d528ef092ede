/**
 * Typed readers for parsed JSON, each naming the field it reads so an error
 * says where (errors.ts). JSON null counts as absent, as Go's encoding/json
 * (what runc, podman and containerd are written with) treats it.
 */
import { OciConfigError, at } from './errors.js';

export type JsonObject = Record<string, unknown>;

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;

export function object(v: unknown, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OciConfigError(path, `must be an object, got ${kind(v)}`);
  return v as JsonObject;
}

/** o[key] read with `fn`, or undefined when absent or null. */
export function opt<T>(o: JsonObject, key: string, path: string, fn: (v: unknown, path: string) => T): T | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : fn(v, at(path, key));
}

/** o[key] read with `fn`; absent or null is an error. */
export function req<T>(o: JsonObject, key: string, path: string, fn: (v: unknown, path: string) => T): T {
  const v = o[key];
  if (v === undefined || v === null) throw new OciConfigError(at(path, key), 'is required');
  return fn(v, at(path, key));
}

export function string(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new OciConfigError(path, `must be a string, got ${kind(v)}`);
  return v;
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new OciConfigError(path, `must be true or false, got ${kind(v)}`);
  return v;
}

/** An integer in min..max (safe integers; a bigint from a lossless parser is accepted too). */
export function int(v: unknown, path: string, min: number, max: number): number {
  const n = typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new OciConfigError(path, `must be an integer, got ${kind(v)}`);
  if (n < min || n > max) throw new OciConfigError(path, `${n} is out of range ${min}..${max}`);
  return n;
}

export const uint32 = (v: unknown, path: string): number => int(v, path, 0, 0xffffffff);

/**
 * A uint64. JSON.parse turns 18446744073709551615 (RLIM_INFINITY as Go writes
 * it) into the double 2^64: that one value means the maximum. Other integers
 * past 2^53 arrive rounded already; BigInt keeps what the double holds.
 */
export function uint64(v: unknown, path: string): bigint {
  if (typeof v === 'number' && v === 2 ** 64) return U64_MAX;
  const b = toBigInt(v, path);
  if (b < 0n || b > U64_MAX) throw new OciConfigError(path, `${b} is out of range 0..${U64_MAX}`);
  return b;
}

/** An int64; the double 2^63 (Go's math.MaxInt64 through JSON.parse) means the maximum. */
export function int64(v: unknown, path: string): bigint {
  if (typeof v === 'number' && v === 2 ** 63) return I64_MAX;
  const b = toBigInt(v, path);
  if (b < -(1n << 63n) || b > I64_MAX) throw new OciConfigError(path, `${b} is out of range for int64`);
  return b;
}

function toBigInt(v: unknown, path: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new OciConfigError(path, `must be an integer, got ${kind(v)}`);
}

export function array<T>(v: unknown, path: string, fn: (item: unknown, path: string) => T): T[] {
  if (!Array.isArray(v)) throw new OciConfigError(path, `must be an array, got ${kind(v)}`);
  return v.map((item, i) => fn(item, at(path, i)));
}

export const stringArray = (v: unknown, path: string): string[] => array(v, path, string);

/** A JSON object of strings (annotations, sysctl, unified), in the document's order. */
export function stringMap(v: unknown, path: string): Record<string, string> {
  const o = object(v, path);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) out[k] = string(val, at(path, k));
  return out;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return `a${typeof v === 'object' ? 'n' : ''} ${typeof v}`;
}
