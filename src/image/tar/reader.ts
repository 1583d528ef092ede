import { ByteReader, type ByteSource } from './byte-reader.js';
import { ImageError } from '../errors.js';
import { BLOCK, padding, type TarEntry, type TarType } from './header.js';

/**
 * A streaming tar reader: ustar, pax extended headers (path, linkpath, size,
 * ids, mtime, xattrs; global headers too) and GNU long names/links. It never
 * buffers a body: the caller reads it chunk by chunk with body() or leaves it
 * to be skipped. Truncation or a bad header checksum is an error naming the
 * member, because a silently short layer is worse than no layer.
 */

/** Caps on metadata we hold in memory; real archives are far below them. */
const MAX_META = 1 << 20;
const CHUNK = 1 << 20;

const TYPES: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink',
  '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function cstring(b: Buffer, start: number, len: number): string {
  const f = b.subarray(start, start + len);
  const z = f.indexOf(0);
  return (z === -1 ? f : f.subarray(0, z)).toString('utf8');
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function number(b: Buffer, start: number, len: number, what: string, member: string): number {
  const f = b.subarray(start, start + len);
  if (f.length > 0 && (f[0]! & 0x80) !== 0) {
    if ((f[0]! & 0x40) !== 0) throw new ImageError(`tar member '${member}': negative ${what}`);
    let v = f[0]! & 0x3f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw new ImageError(`tar member '${member}': ${what} too large`);
    return v;
  }
  const s = cstring(b, start, len).replace(/[ \0]+$/, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new ImageError(`tar member '${member}': corrupt ${what} field`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseInt(cstring(h, 148, 8).trim() || 'x', 8);
  if (Number.isNaN(stored)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Pax records "LEN key=value\n"; values are bytes (xattrs may be binary). */
export function parsePax(data: Buffer, member: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // some writers pad with NULs
    const sp = data.indexOf(0x20, i);
    const len = sp === -1 ? NaN : Number(data.subarray(i, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length || data[i + len - 1] !== 0x0a) {
      throw new ImageError(`tar member '${member}': corrupt pax header`);
    }
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new ImageError(`tar member '${member}': corrupt pax record`);
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    i += len;
  }
  return out;
}

export class TarReader {
  private readonly r: ByteSource;
  /** Body bytes of the current entry not yet read by the caller. */
  private remaining = 0;
  private pad = 0;
  private current = '';
  private global = new Map<string, Buffer>();
  private ended = false;

  constructor(source: AsyncIterable<Buffer> | ByteSource) {
    this.r = Symbol.asyncIterator in source ? ByteReader.from(source) : source;
  }

  /** Offset in the input where the current member's body starts (valid right after next()). */
  bodyOffset = 0;

  private async exact(n: number, what: string): Promise<Buffer> {
    const b = await this.r.read(n);
    if (b.length !== n) throw new ImageError(`tar member '${this.current || '(start)'}': archive truncated in ${what}`);
    return b;
  }

  private async skipBody(): Promise<void> {
    if (this.r.skip && this.remaining > 0) {
      const n = this.r.skip(this.remaining);
      if (n !== this.remaining) throw new ImageError(`tar member '${this.current}': archive truncated in body`);
      this.remaining = 0;
    }
    while (this.remaining > 0) {
      const c = await this.r.chunk(Math.min(this.remaining, CHUNK));
      if (c.length === 0) throw new ImageError(`tar member '${this.current}': archive truncated in body`);
      this.remaining -= c.length;
    }
    if (this.pad > 0) {
      // Some writers (umoci 0.4's insert) end the stream right after the last body, without padding or
      // end blocks. The member itself is complete (and digests vouch for the bytes), so that is the end.
      const b = await this.r.read(this.pad);
      if (b.length < this.pad) this.ended = true;
    }
    this.pad = 0;
  }

  /** The current member's body, chunk by chunk. */
  async *body(): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const c = await this.r.chunk(Math.min(this.remaining, CHUNK));
      if (c.length === 0) throw new ImageError(`tar member '${this.current}': archive truncated in body`);
      this.remaining -= c.length;
      yield c;
    }
  }

  private async meta(size: number, what: string): Promise<Buffer> {
    if (size > MAX_META) throw new ImageError(`tar member after '${this.current}': ${what} too large`);
    const b = await this.exact(size, what);
    await this.exact(padding(size), 'padding');
    return b;
  }

  /** The next member, or null at the end of the archive (the rest of the stream is consumed). */
  async next(): Promise<TarEntry | null> {
    await this.skipBody();
    if (this.ended) return null;
    let pax = new Map<string, Buffer>();
    let longName: string | null = null;
    let longLink: string | null = null;
    for (;;) {
      const h = await this.r.read(BLOCK);
      // A writer that stops at a block boundary without the two zero blocks is common enough to accept.
      if (h.length === 0) return null;
      if (h.length !== BLOCK) throw new ImageError(`tar member after '${this.current || '(start)'}': archive truncated in header`);
      if (isZero(h)) {
        await this.r.drain();
        return null;
      }
      const rawName = cstring(h, 0, 100);
      if (!checksumOk(h)) throw new ImageError(`tar member after '${this.current || '(start)'}': corrupt header (bad checksum at '${rawName}')`);
      const flag = String.fromCharCode(h[156]!);
      const size = number(h, 124, 12, 'size', rawName);
      if (flag === 'x' || flag === 'g') {
        const recs = parsePax(await this.meta(size, 'pax header'), rawName);
        if (flag === 'g') for (const [k, v] of recs) this.global.set(k, v);
        else pax = recs;
        continue;
      }
      if (flag === 'L' || flag === 'K') {
        const s = cstring(await this.meta(size, 'GNU long name'), 0, size);
        if (flag === 'L') longName = s;
        else longLink = s;
        continue;
      }
      const magic = h.subarray(257, 263).toString('latin1');
      const prefix = magic === 'ustar\0' ? cstring(h, 345, 155) : '';
      let path = prefix ? `${prefix}/${rawName}` : rawName;
      let type = TYPES[flag];
      if (type === undefined) throw new ImageError(`tar member '${path}': unsupported member type '${flag}'`);
      // v7 archives mark directories only with a trailing slash.
      if (type === 'file' && flag !== '7' && path.endsWith('/')) type = 'dir';

      const p = new Map([...this.global, ...pax]);
      const str = (k: string): string | undefined => p.get(k)?.toString('utf8');
      const num = (k: string, fallback: number): number => {
        const v = str(k);
        if (v === undefined) return fallback;
        const n = Number(v);
        if (!Number.isFinite(n)) throw new ImageError(`tar member '${path}': corrupt pax ${k}`);
        return n;
      };
      path = str('path') ?? longName ?? path;
      this.current = path;
      const xattrs = new Map<string, Buffer>();
      for (const [k, v] of p) {
        if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice(13), v);
        else if (k.startsWith('LIBARCHIVE.xattr.')) xattrs.set(decodeURIComponent(k.slice(17)), Buffer.from(v.toString('latin1'), 'base64'));
      }
      const entry: TarEntry = {
        path,
        type,
        mode: number(h, 100, 8, 'mode', path) & 0o7777,
        uid: num('uid', number(h, 108, 8, 'uid', path)),
        gid: num('gid', number(h, 116, 8, 'gid', path)),
        size: num('size', size),
        mtime: num('mtime', number(h, 136, 12, 'mtime', path)),
        linkname: str('linkpath') ?? longLink ?? cstring(h, 157, 100),
        devmajor: type === 'char' || type === 'block' ? number(h, 329, 8, 'devmajor', path) : 0,
        devminor: type === 'char' || type === 'block' ? number(h, 337, 8, 'devminor', path) : 0,
        xattrs,
      };
      if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new ImageError(`tar member '${path}': corrupt size`);
      // Only regular files carry bodies we hand out; a size on anything else is skipped.
      this.remaining = entry.size;
      this.bodyOffset = this.r.position;
      this.pad = padding(entry.size);
      if (entry.type !== 'file') {
        await this.skipBody();
        entry.size = 0;
      }
      return entry;
    }
  }
}
