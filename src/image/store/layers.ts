import {
  existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ImageError } from '../errors.js';
import { lockLayer } from './lock.js';
import { processExists } from '../../kernel/process.js';
import type { StorePaths } from './paths.js';
import { mkdirPrivate } from '../../state/private-dir.js';

/**
 * Layers on disk: each unpacked once under layers/sha256/<hex>, made visible
 * only by an atomic rename of a finished temp dir, so a reader (or a crash)
 * sees a whole layer or none.
 */

export function hexOf(diffId: string): string {
  return diffId.replace(/^sha256:/, '');
}

export function layerDir(p: StorePaths, diffId: string): string {
  return join(p.layers, hexOf(diffId));
}

function metaPath(p: StorePaths, diffId: string): string {
  return `${layerDir(p, diffId)}.json`;
}

/** A fresh private dir for one unpack. The pid in its name lets a later run tell abandoned ones apart. */
export function makeTempDir(p: StorePaths): string {
  mkdirPrivate(p.tmp, p.root);
  const d = mkdtempSync(join(p.tmp, `${process.pid}.`));
  return d;
}

/** Removes temp dirs whose importer is gone (killed mid-import). */
export function cleanStaleTemp(p: StorePaths): number {
  let n = 0;
  let entries: string[] = [];
  try { entries = readdirSync(p.tmp); } catch { return 0; }
  for (const e of entries) {
    const pid = Number(e.split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processExists(pid)) continue;
    if (pid === process.pid) continue;
    rmSync(join(p.tmp, e), { recursive: true, force: true });
    n++;
  }
  return n;
}

export function layerExists(p: StorePaths, diffId: string): boolean {
  return existsSync(layerDir(p, diffId));
}

/** Disk use of a tree (allocated blocks, hard links once). */
export function diskUsage(dir: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (d: string): void => {
    const st = lstatSync(d);
    const key = `${st.dev}:${st.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      total += st.blocks * 512;
    }
    if (!st.isDirectory()) return;
    for (const e of readdirSync(d)) walk(join(d, e));
  };
  try { walk(dir); } catch { /* gone meanwhile */ }
  return total;
}

export function layerSize(p: StorePaths, diffId: string): number {
  try {
    const m = JSON.parse(readFileSync(metaPath(p, diffId), 'utf8')) as { size?: unknown };
    if (typeof m.size === 'number') return m.size;
  } catch { /* no meta: fall back to measuring */ }
  return diskUsage(layerDir(p, diffId));
}

/**
 * The short l/ name for a layer: 16 hex digits of its diffID, longer only if
 * another layer already owns that prefix, as podman's l/ links do.
 */
export function ensureLink(p: StorePaths, diffId: string): string {
  mkdirPrivate(p.links, p.root);
  const hex = hexOf(diffId);
  const target = join('..', 'layers', 'sha256', hex);
  for (let len = 16; len <= hex.length; len += 4) {
    const name = hex.slice(0, len);
    const path = join(p.links, name);
    try {
      symlinkSync(target, path);
      return name;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (readlinkSync(path) === target) return name;
    }
  }
  throw new ImageError(`layer ${diffId}: no free short link name`);
}

/**
 * Makes the layer `diffId` exist, unpacking it with `unpack(tempDir)` unless
 * it already does. The per-layer lock makes a concurrent import of the same
 * layer wait and then reuse it instead of unpacking it twice.
 */
export async function ensureLayer(
  p: StorePaths,
  diffId: string,
  unpack: (dir: string) => Promise<{ diffId: string; contentBytes: number }>,
): Promise<{ size: number; fresh: boolean }> {
  const hex = hexOf(diffId);
  const lock = await lockLayer(p, hex);
  try {
    if (layerExists(p, diffId)) return { size: layerSize(p, diffId), fresh: false };
    mkdirPrivate(p.layers, p.root);
    const tmp = makeTempDir(p);
    try {
      const root = join(tmp, 'root');
      mkdirSync(root, { mode: 0o755 });
      const got = await unpack(root);
      if (got.diffId !== diffId) throw new ImageError(`layer ${diffId}: uncompressed digest is ${got.diffId}`);
      writeFileSync(metaPath(p, diffId), JSON.stringify({ size: got.contentBytes }));
      renameSync(root, layerDir(p, diffId));
      return { size: got.contentBytes, fresh: true };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } finally {
    lock.release();
  }
}

/**
 * For sources whose diffID is only known after unpacking (a rootfs tarball
 * or directory): unpack first, then adopt the result unless an identical
 * layer appeared meanwhile.
 */
export async function adoptLayer(
  p: StorePaths,
  unpack: (dir: string) => Promise<{ diffId: string; contentBytes: number }>,
): Promise<{ diffId: string; size: number; fresh: boolean }> {
  const tmp = makeTempDir(p);
  try {
    const root = join(tmp, 'root');
    mkdirSync(root, { mode: 0o755 });
    const got = await unpack(root);
    const res = await ensureLayer(p, got.diffId, async (dir) => {
      rmSync(dir, { recursive: true, force: true });
      renameSync(root, dir);
      return got;
    });
    return { diffId: got.diffId, ...res };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function listLayerIds(p: StorePaths): string[] {
  let entries: string[] = [];
  try { entries = readdirSync(p.layers); } catch { return []; }
  return entries.filter((e) => /^[0-9a-f]{64}$/.test(e)).map((h) => `sha256:${h}`);
}

/** Deletes a layer: first its name (rename out of sight, so it is never seen half-deleted), then its bytes. */
export function deleteLayer(p: StorePaths, diffId: string): number {
  const dir = layerDir(p, diffId);
  const bytes = diskUsage(dir);
  const tmp = makeTempDir(p);
  renameSync(dir, join(tmp, 'root'));
  rmSync(metaPath(p, diffId), { force: true });
  rmSync(tmp, { recursive: true, force: true });
  return bytes;
}

/** Removes l/ links whose layer is gone. */
export function pruneLinks(p: StorePaths): void {
  let entries: string[] = [];
  try { entries = readdirSync(p.links); } catch { return; }
  for (const e of entries) {
    const path = join(p.links, e);
    if (!existsSync(path)) rmSync(path, { force: true });
  }
}
