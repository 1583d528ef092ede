import { BLOCK, padding, type TarType } from './header.js';

/**
 * A small ustar+pax writer: the rootfs-directory importer serialises the tree
 * through it (so a directory gets a real diffID and goes through the same
 * hardened unpacker), and tests use it to craft hostile archives.
 */
export interface WriteEntry {
  path: string;
  type: TarType;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  /** Regular files: body length; must match what body yields. */
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
  body?: Buffer | (() => AsyncIterable<Buffer>);
}

const FLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function octal(h: Buffer, off: number, len: number, v: number): boolean {
  const s = Math.floor(v).toString(8);
  if (s.length > len - 1 || v < 0) return false;
  h.write(s.padStart(len - 1, '0') + '\0', off, len, 'latin1');
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return Buffer.concat([Buffer.from(String(len)), rest]);
}

/** A single raw 512-byte header (no pax); the checksum is computed unless `badChecksum`. */
export function rawHeader(f: { name: string; flag: string; mode?: number; uid?: number; gid?: number; size?: number; mtime?: number; linkname?: string; devmajor?: number; devminor?: number; prefix?: string }, badChecksum = false): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(f.name, 0, 100, 'utf8');
  octal(h, 100, 8, f.mode ?? 0o644);
  octal(h, 108, 8, f.uid ?? 0);
  octal(h, 116, 8, f.gid ?? 0);
  octal(h, 124, 12, f.size ?? 0);
  octal(h, 136, 12, f.mtime ?? 0);
  h.write(f.flag, 156, 1, 'latin1');
  h.write(f.linkname ?? '', 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 8, 'latin1');
  octal(h, 329, 8, f.devmajor ?? 0);
  octal(h, 337, 8, f.devminor ?? 0);
  if (f.prefix) h.write(f.prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  if (badChecksum) sum += 1;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return h;
}

/** Header block(s) for one entry: a pax header first when a field does not fit ustar. */
export function entryHeader(e: WriteEntry): Buffer {
  const pax: Buffer[] = [];
  const size = e.type === 'file' ? e.size ?? (Buffer.isBuffer(e.body) ? e.body.length : 0) : 0;
  const name = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
  const link = e.linkname ?? '';
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', Buffer.from(name)));
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', Buffer.from(link)));
  for (const [k, v] of [['uid', e.uid ?? 0], ['gid', e.gid ?? 0]] as const) if (v > 0o7777777) pax.push(paxRecord(k, Buffer.from(String(v))));
  if (size > 0o77777777777) pax.push(paxRecord('size', Buffer.from(String(size))));
  for (const [k, v] of e.xattrs ?? []) pax.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const main = rawHeader({
    name: Buffer.byteLength(name) > 100 ? name.slice(0, 99) : name,
    flag: FLAG[e.type],
    mode: e.mode ?? (e.type === 'dir' ? 0o755 : 0o644),
    uid: Math.min(e.uid ?? 0, 0o7777777),
    gid: Math.min(e.gid ?? 0, 0o7777777),
    size: Math.min(size, 0o77777777777),
    mtime: e.mtime ?? 0,
    linkname: Buffer.byteLength(link) > 100 ? link.slice(0, 99) : link,
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  });
  if (pax.length === 0) return main;
  const data = Buffer.concat(pax);
  const ph = rawHeader({ name: 'PaxHeader', flag: 'x', size: data.length });
  return Buffer.concat([ph, data, Buffer.alloc(padding(data.length)), main]);
}

export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

/** The archive as a stream of buffers; bodies are passed through, never collected. */
export async function* tarStream(entries: AsyncIterable<WriteEntry> | Iterable<WriteEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield entryHeader(e);
    if (e.type !== 'file') continue;
    const size = e.size ?? (Buffer.isBuffer(e.body) ? e.body.length : 0);
    let n = 0;
    if (Buffer.isBuffer(e.body)) {
      n = e.body.length;
      yield e.body;
    } else if (e.body) {
      for await (const c of e.body()) {
        n += c.length;
        if (n > size) throw new Error(`${e.path}: changed while being read (grew past ${size} bytes)`);
        yield c;
      }
    }
    if (n !== size) throw new Error(`${e.path}: changed while being read (${n} of ${size} bytes)`);
    if (padding(size) > 0) yield Buffer.alloc(padding(size));
  }
  yield END_OF_ARCHIVE;
}

/** An archive in memory (tests, small fixtures). */
export async function tarBuffer(entries: Iterable<WriteEntry>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of tarStream(entries)) parts.push(b);
  return Buffer.concat(parts);
}
