import { readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../basic/atomic-file.js';
import { ImageError } from '../errors.js';
import { NAME_RE, type StorePaths } from './paths.js';
import { mkdirPrivate } from '../../state/private-dir.js';
import type { ImageConfig } from '../types.js';

/** One layer of an imported image, bottom first in ImageRecord.layers. */
export interface LayerRecord {
  /** Uncompressed digest: the store key (layers/sha256/<hex>). */
  diffId: string;
  /** Blob digest as the source had it (absent for docker-archive and rootfs imports). */
  digest?: string;
  /** Bytes of file content in the unpacked layer. */
  size: number;
  /** Name under l/ used as the overlay lowerdir (short, so deep stacks fit one page of mount options). */
  link: string;
}

export interface ImageRecord {
  name: string;
  /** Config digest for OCI/docker images; digest of the synthesized config for rootfs imports. */
  id: string;
  /** From the image config when it has one, else the import time (ISO 8601). */
  created: string;
  imported: string;
  /** Sum of the layers' sizes. */
  size: number;
  layers: LayerRecord[];
  config: ImageConfig;
  format: 'oci' | 'docker-archive' | 'rootfs-tar' | 'rootfs-dir';
  manifestDigest?: string;
}

export function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new ImageError(`invalid image name '${name}' (letters, digits and _.:@+- ; no '/', not starting with a symbol)`);
}

function recordPath(p: StorePaths, name: string): string {
  return join(p.images, `${name}.json`);
}

export function readRecord(p: StorePaths, name: string): ImageRecord | null {
  if (!NAME_RE.test(name)) return null;
  let text: string;
  try {
    text = readFileSync(recordPath(p, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return JSON.parse(text) as ImageRecord;
  } catch {
    throw new ImageError(`image record ${recordPath(p, name)} is corrupt`);
  }
}

/** Durable: the record is what says an import finished (its temporary file is a dot file, which the listings skip). */
function writeAtomic(p: StorePaths, dir: string, file: string, rec: ImageRecord): void {
  mkdirPrivate(dir, p.root);
  writeFileAtomic(join(dir, file), `${JSON.stringify(rec, null, 2)}\n`);
}

/**
 * Atomic: a reader (or a crash) sees the old record or the new one, never
 * half. A record it replaces under the same name with another id is held
 * (see holdRecord): containers made from the old image still stand on its layers.
 */
export function writeRecord(p: StorePaths, rec: ImageRecord): void {
  const old = readRecord(p, rec.name);
  if (old && old.id !== rec.id) holdRecord(p, old);
  writeAtomic(p, p.images, `${rec.name}.json`, rec);
}

/**
 * Held records: images no longer listed (rmi --force, replaced by a
 * re-import) whose layers containers may still use. pruneLayers keeps their
 * layers while a container's image id names them, and drops them after.
 * They live in images/.held/<id>.json, which listRecords skips.
 */
const heldDir = (p: StorePaths): string => join(p.images, '.held');

export function holdRecord(p: StorePaths, rec: ImageRecord): void {
  const file = `${rec.id.replace(/[^A-Za-z0-9]/g, '-')}.json`;
  writeAtomic(p, heldDir(p), file, rec);
}

export function listHeld(p: StorePaths): { rec: ImageRecord; file: string }[] {
  let names: string[];
  try {
    names = readdirSync(heldDir(p));
  } catch {
    return [];
  }
  const out: { rec: ImageRecord; file: string }[] = [];
  for (const n of names) {
    const file = join(heldDir(p), n);
    if (n.startsWith('.')) continue; // an interrupted write; the next hold of that id replaces it
    try {
      out.push({ rec: JSON.parse(readFileSync(file, 'utf8')) as ImageRecord, file });
    } catch {
      // Corrupt: nothing to keep for it. A reader without write access (`images` as a user) just skips it.
      try { rmSync(file, { force: true }); } catch { /* left for a root prune */ }
    }
  }
  return out;
}

export function deleteRecord(p: StorePaths, name: string): void {
  unlinkSync(recordPath(p, name));
}

export function listRecords(p: StorePaths): ImageRecord[] {
  let names: string[];
  try {
    names = readdirSync(p.images);
  } catch {
    return [];
  }
  const out: ImageRecord[] = [];
  for (const f of names.sort()) {
    if (f.startsWith('.') || !f.endsWith('.json')) continue; // .NAME.json.PID.tmp of an interrupted write
    const rec = readRecord(p, f.slice(0, -5));
    if (rec) out.push(rec);
  }
  return out;
}
