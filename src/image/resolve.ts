import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TsmError } from '../errors.js';
import { MACHINES_DIR } from '../paths.js';
import { listBuiltinImageNames, resolveBuiltinImage, resolveMachinesImage } from './builtin.js';
import type { ResolvedImage } from './types.js';

export class UnknownImageError extends TsmError {
  readonly module = 'image';
  constructor(readonly image: string) {
    super(`no image '${image}' (see 'tsmachine images'; directories in ${MACHINES_DIR} work too)`);
  }
}

/**
 * Image lookup, most specific first: imported images in the layer store, the
 * built-in images, then nspawn's /var/lib/machines directories.
 * The store lookup is passed in so this module does not load the importer.
 */
export type StoreLookup = (name: string) => ResolvedImage | null;

export function findImage(name: string, store?: StoreLookup): ResolvedImage | null {
  if (name.includes('/') || name.startsWith('.')) return null;
  return store?.(name) ?? resolveBuiltinImage(name) ?? resolveMachinesImage(name);
}

export function resolveImage(name: string, store?: StoreLookup): ResolvedImage {
  const img = findImage(name, store);
  if (!img) throw new UnknownImageError(name);
  return img;
}

export interface ImageListing {
  name: string;
  id: string;
  source: ResolvedImage['source'];
  layers: number;
}

/** Built-in and /var/lib/machines images (the store lists its own). */
export function listDirectoryImages(): ImageListing[] {
  const out: ImageListing[] = [];
  for (const n of listBuiltinImageNames()) out.push({ name: n, id: `builtin:${n}`, source: 'builtin', layers: 1 });
  let entries: string[] = [];
  try { entries = readdirSync(MACHINES_DIR); } catch { /* no machines dir */ }
  for (const n of entries.sort()) {
    try { if (!statSync(join(MACHINES_DIR, n)).isDirectory()) continue; } catch { continue; }
    out.push({ name: n, id: `dir:${join(MACHINES_DIR, n)}`, source: 'machines', layers: 1 });
  }
  return out;
}
