import { isAsciiNoNul, latin1Text, plainBytes } from './bytes.js';
import { DBusProtocolError } from './errors.js';
import { MAX_ARRAY_LENGTH, OBJECT_PATH_RE } from './marshal.js';
import { alignOf, parseSignature, parseSingleType, type SigType } from './signature.js';
import type { DBusKey, DBusValue } from './values.js';

const MAX_DEPTH = 64;
let decoder: TextDecoder | null = null;

/**
 * Reads values from bytes that came from another process. Every length,
 * padding byte and string is checked, and the only error it throws is
 * DBusProtocolError: a garbled message must not crash the runtime with a
 * RangeError. Messages may be in either byte order (the sender's choice).
 */
export class Reader {
  /** A plain Uint8Array over the bytes given (bytes.ts says why). */
  readonly buf: Uint8Array;
  private readonly view: DataView;
  pos: number;

  constructor(
    buf: Uint8Array,
    readonly littleEndian: boolean,
    start = 0,
    /** Offset in the message that `buf[0]` sits at, for alignment. */
    private readonly base = 0,
  ) {
    this.buf = plainBytes(buf);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new DBusProtocolError(`truncated data reading ${what} at offset ${this.pos}`);
  }

  align(n: number): void {
    const pad = (n - ((this.base + this.pos) % n)) % n;
    if (pad === 0) return;
    this.need(pad, 'padding');
    for (let i = 0; i < pad; i++) {
      if (this.buf[this.pos + i] !== 0) throw new DBusProtocolError(`non-zero padding at offset ${this.pos + i}`);
    }
    this.pos += pad;
  }

  u8(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++]!;
  }
  /** An aligned fixed-size value in the message's byte order. */
  private fixed<T>(size: number, what: string, get: (view: DataView, at: number, le: boolean) => T): T {
    this.align(size);
    this.need(size, what);
    const v = get(this.view, this.pos, this.littleEndian);
    this.pos += size;
    return v;
  }
  u16(): number {
    return this.fixed(2, 'uint16', (d, at, le) => d.getUint16(at, le));
  }
  i16(): number {
    return this.fixed(2, 'int16', (d, at, le) => d.getInt16(at, le));
  }
  u32(): number {
    return this.fixed(4, 'uint32', (d, at, le) => d.getUint32(at, le));
  }
  i32(): number {
    return this.fixed(4, 'int32', (d, at, le) => d.getInt32(at, le));
  }
  u64(): bigint {
    return this.fixed(8, 'uint64', (d, at, le) => d.getBigUint64(at, le));
  }
  i64(): bigint {
    return this.fixed(8, 'int64', (d, at, le) => d.getBigInt64(at, le));
  }
  f64(): number {
    return this.fixed(8, 'double', (d, at, le) => d.getFloat64(at, le));
  }

  /** Bytes of a string of `len` followed by its NUL terminator. */
  text(len: number, what: string): string {
    this.need(len + 1, what);
    const bytes = this.buf.subarray(this.pos, this.pos + len);
    if (this.buf[this.pos + len] !== 0) throw new DBusProtocolError(`${what} at offset ${this.pos} is not NUL-terminated`);
    let s: string;
    // Names, paths and most values are ASCII: those need no TextDecoder
    // (its first use costs in the VM); anything else is checked as UTF-8.
    if (isAsciiNoNul(bytes)) s = latin1Text(bytes);
    else {
      if (bytes.includes(0)) throw new DBusProtocolError(`${what} at offset ${this.pos} contains NUL`);
      try {
        s = (decoder ??= new TextDecoder('utf-8', { fatal: true })).decode(bytes);
      } catch (cause) {
        throw new DBusProtocolError(`${what} at offset ${this.pos} is not valid UTF-8`, { cause });
      }
    }
    this.pos += len + 1;
    return s;
  }

  signature(): string {
    const len = this.u8();
    const s = this.text(len, 'signature');
    parseSignature(s);
    return s;
  }

  read(t: SigType, depth = 0): DBusValue {
    if (depth > MAX_DEPTH) throw new DBusProtocolError('values nested too deep');
    switch (t.kind) {
      case 'basic':
        return this.basic(t.code);
      case 'variant': {
        const sig = this.signature();
        const inner = parseSingleType(sig);
        return { signature: sig, value: this.read(inner, depth + 1) };
      }
      case 'struct': {
        this.align(8);
        return t.fields.map((f) => this.read(f, depth + 1));
      }
      case 'array': {
        const end = this.arrayStart(t.elem);
        if (t.elem.kind === 'basic' && t.elem.code === 'y') {
          const out = new Uint8Array(this.buf.subarray(this.pos, end)); // a copy: the receive buffer is reused
          this.pos = end;
          return out;
        }
        const out: DBusValue[] = [];
        while (this.pos < end) out.push(this.read(t.elem, depth + 1));
        if (this.pos !== end) throw new DBusProtocolError(`array '${t.text}' elements overrun its length`);
        return out;
      }
      case 'dict': {
        const end = this.arrayStart({ kind: 'struct', fields: [t.key, t.value], text: '' });
        const out = new Map<DBusKey, DBusValue>();
        while (this.pos < end) {
          this.align(8);
          const k = this.read(t.key, depth + 1) as DBusKey;
          out.set(k, this.read(t.value, depth + 1));
        }
        if (this.pos !== end) throw new DBusProtocolError(`dict '${t.text}' entries overrun its length`);
        return out;
      }
    }
  }

  /** Reads an array's length and leading padding; returns the end offset. */
  private arrayStart(elem: SigType): number {
    const len = this.u32();
    if (len > MAX_ARRAY_LENGTH) throw new DBusProtocolError(`array length ${len} exceeds the limit`);
    this.align(alignOf(elem));
    this.need(len, 'array contents');
    return this.pos + len;
  }

  private basic(code: string): DBusValue {
    switch (code) {
      case 'y':
        return this.u8();
      case 'b': {
        const v = this.u32();
        if (v > 1) throw new DBusProtocolError(`boolean with value ${v}`);
        return v === 1;
      }
      case 'n':
        return this.i16();
      case 'q':
        return this.u16();
      case 'i':
        return this.i32();
      case 'u':
      case 'h':
        return this.u32();
      case 'x':
        return this.i64();
      case 't':
        return this.u64();
      case 'd':
        return this.f64();
      case 's':
        return this.text(this.u32(), 'string');
      case 'o': {
        const s = this.text(this.u32(), 'object path');
        if (!OBJECT_PATH_RE.test(s)) throw new DBusProtocolError(`invalid object path '${s}'`);
        return s;
      }
      case 'g':
        return this.signature();
      default:
        throw new DBusProtocolError(`unknown basic type '${code}'`);
    }
  }
}

/** Decode a complete sequence of values; trailing bytes are an error. */
export function unmarshal(signature: string, data: Uint8Array, littleEndian = true): DBusValue[] {
  const types = parseSignature(signature);
  const r = new Reader(data, littleEndian);
  const out = types.map((t) => r.read(t));
  if (r.pos !== data.length) throw new DBusProtocolError(`${data.length - r.pos} trailing bytes after '${signature}'`);
  return out;
}
