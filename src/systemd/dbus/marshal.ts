import { asciiBytes } from './bytes.js';
import { DBusProtocolError } from './errors.js';
import { alignOf, parseSignature, parseSingleType, type SigType } from './signature.js';
import { isVariant, type DBusKey, type DBusValue } from './values.js';

/** Specification limits (bytes of one array's elements; nesting incl. variants). */
export const MAX_ARRAY_LENGTH = 64 * 1024 * 1024;
const MAX_DEPTH = 64;

/**
 * A growable little-endian buffer. Alignment is relative to offset 0, which
 * is correct for both the header (starts the message) and the body (starts
 * at an 8-aligned offset of the message). Plain Uint8Array and DataView,
 * not Buffer (bytes.ts says why).
 */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    if (pad === 0) return;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  /** Pads to size and makes room; returns where the value goes. */
  private slot(size: number): number {
    this.align(size);
    this.ensure(size);
    const at = this.length;
    this.length += size;
    return at;
  }
  u16(v: number): void {
    const at = this.slot(2); // first: it may replace this.view
    this.view.setUint16(at, v, true);
  }
  i16(v: number): void {
    const at = this.slot(2);
    this.view.setInt16(at, v, true);
  }
  u32(v: number): void {
    const at = this.slot(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.slot(4);
    this.view.setInt32(at, v, true);
  }
  u64(v: bigint): void {
    const at = this.slot(8);
    this.view.setBigUint64(at, v, true);
  }
  i64(v: bigint): void {
    const at = this.slot(8);
    this.view.setBigInt64(at, v, true);
  }
  f64(v: number): void {
    const at = this.slot(8);
    this.view.setFloat64(at, v, true);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** Overwrite a uint32 written earlier (array lengths are known only afterwards). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Encode `values` as `signature` (a body, or any sequence of complete types). */
export function marshal(signature: string, values: readonly DBusValue[], w: Writer = new Writer()): Uint8Array {
  const types = parseSignature(signature);
  if (types.length !== values.length) {
    throw new DBusProtocolError(`signature '${signature}' has ${types.length} types but ${values.length} values were given`);
  }
  for (let i = 0; i < types.length; i++) writeValue(w, types[i]!, values[i]!, 0);
  return w.finish();
}

function fail(t: SigType, v: unknown, why: string): never {
  const shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v.slice(0, 60)) : String(v);
  throw new DBusProtocolError(`cannot encode ${shown} as '${t.text}': ${why}`);
}

function intIn(t: SigType, v: DBusValue, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(t, v, `needs an integer in ${min}..${max}`);
  return v;
}

function bigIn(t: SigType, v: DBusValue, min: bigint, max: bigint): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else fail(t, v, 'needs a bigint (or a safe integer)');
  if (b < min || b > max) fail(t, v, 'out of range');
  return b;
}

let encoder: TextEncoder | null = null;

/** UTF-8; names and paths are ASCII, done without TextEncoder (its first use costs in the VM). */
function utf8(v: string): Uint8Array {
  return asciiBytes(v) ?? (encoder ??= new TextEncoder()).encode(v);
}

function stringBytes(t: SigType, v: DBusValue): Uint8Array {
  if (typeof v !== 'string') fail(t, v, 'needs a string');
  if (v.includes('\0')) fail(t, v, 'strings cannot contain NUL');
  return utf8(v);
}

export const OBJECT_PATH_RE = /^\/$|^(\/[A-Za-z0-9_]+)+$/;

function writeValue(w: Writer, t: SigType, v: DBusValue, depth: number): void {
  if (depth > MAX_DEPTH) fail(t, v, 'nested too deep');
  switch (t.kind) {
    case 'basic':
      return writeBasic(w, t, v);
    case 'variant': {
      if (!isVariant(v)) fail(t, v, 'needs { signature, value }');
      const inner = parseSingleType(v.signature);
      const sig = utf8(v.signature);
      w.u8(sig.length);
      w.bytes(sig);
      w.u8(0);
      writeValue(w, inner, v.value, depth + 1);
      return;
    }
    case 'struct': {
      if (!Array.isArray(v) || v.length !== t.fields.length) fail(t, v, `needs an array of ${t.fields.length} fields`);
      w.align(8);
      for (let i = 0; i < t.fields.length; i++) writeValue(w, t.fields[i]!, v[i]!, depth + 1);
      return;
    }
    case 'array': {
      w.u32(0);
      const lenAt = w.length - 4;
      w.align(alignOf(t.elem));
      const start = w.length;
      if (t.elem.kind === 'basic' && t.elem.code === 'y' && v instanceof Uint8Array) {
        w.bytes(v); // the common ay case without a per-byte walk
      } else {
        if (!Array.isArray(v)) fail(t, v, 'needs an array');
        for (const e of v) writeValue(w, t.elem, e, depth + 1);
      }
      finishArray(w, t, lenAt, start);
      return;
    }
    case 'dict': {
      let entries: Iterable<readonly [DBusValue, DBusValue]>;
      if (v instanceof Map) entries = v.entries();
      else if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2)) entries = v as unknown as [DBusKey, DBusValue][];
      else fail(t, v, 'needs a Map or an array of [key, value] pairs');
      w.u32(0);
      const lenAt = w.length - 4;
      w.align(8);
      const start = w.length;
      for (const [k, val] of entries) {
        w.align(8);
        writeValue(w, t.key, k, depth + 1);
        writeValue(w, t.value, val, depth + 1);
      }
      finishArray(w, t, lenAt, start);
      return;
    }
  }
}

function finishArray(w: Writer, t: SigType, lenAt: number, start: number): void {
  const len = w.length - start;
  if (len > MAX_ARRAY_LENGTH) throw new DBusProtocolError(`array '${t.text}' of ${len} bytes exceeds the ${MAX_ARRAY_LENGTH}-byte limit`);
  w.patchU32(lenAt, len);
}

function writeBasic(w: Writer, t: SigType & { kind: 'basic' }, v: DBusValue): void {
  switch (t.code) {
    case 'y':
      return w.u8(intIn(t, v, 0, 0xff));
    case 'b':
      if (typeof v !== 'boolean') fail(t, v, 'needs a boolean');
      return w.u32(v ? 1 : 0);
    case 'n':
      return w.i16(intIn(t, v, -0x8000, 0x7fff));
    case 'q':
      return w.u16(intIn(t, v, 0, 0xffff));
    case 'i':
      return w.i32(intIn(t, v, -0x80000000, 0x7fffffff));
    case 'u':
    case 'h':
      return w.u32(intIn(t, v, 0, 0xffffffff));
    case 'x':
      return w.i64(bigIn(t, v, -(1n << 63n), (1n << 63n) - 1n));
    case 't':
      return w.u64(bigIn(t, v, 0n, (1n << 64n) - 1n));
    case 'd':
      if (typeof v !== 'number') fail(t, v, 'needs a number');
      return w.f64(v);
    case 's':
    case 'o': {
      const b = stringBytes(t, v);
      if (t.code === 'o' && !OBJECT_PATH_RE.test(v as string)) fail(t, v, 'not a valid object path');
      w.u32(b.length);
      w.bytes(b);
      w.u8(0);
      return;
    }
    case 'g': {
      const b = stringBytes(t, v);
      parseSignature(v as string); // validates
      w.u8(b.length);
      w.bytes(b);
      w.u8(0);
      return;
    }
  }
}
