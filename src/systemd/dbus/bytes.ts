/**
 * Byte helpers for the D-Bus code, on plain Uint8Arrays.
 *
 * Why not Buffer: Buffer's own subarray, indexOf, includes, fill, concat,
 * writeUInt32LE, toString and Buffer.from are JavaScript in Node, compiled
 * on first use and interpreted (the CLI runs --jitless). A profile of
 * `run --rm` found a good part of a start in them, nearly all in the bus
 * handshake and the first few messages; the typed-array methods used here
 * are V8 builtins. The native socket hands over plain Uint8Arrays.
 */

/** The bytes of chunks, one after the other. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A string of char codes < 0x80 as bytes; null if it has any other. */
export function asciiBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return null;
    out[i] = c;
  }
  return out;
}

/** Bytes as text, one char per byte: exact for ASCII (SASL lines, and what isAsciiNoNul passed). */
export function latin1Text(bytes: Uint8Array): string {
  let s = '';
  // In slices: fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  return s;
}

/** True when every byte is in 0x01..0x7f: ASCII without NUL. */
export function isAsciiNoNul(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0 || b > 0x7f) return false;
  }
  return true;
}

/** A plain Uint8Array over the same memory (Buffer in, typed-array methods out). */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
