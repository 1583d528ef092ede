/**
 * Fixtures for the image tests, made without the code under test's reader:
 * OCI layouts written by hand (blobs, manifest, index), tarballs by
 * Python's tarfile (an independent writer) or our writer for raw headers.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function sha(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `tsm-${tag}-`));
}

export function cleanup(dir: string): void {
  // Layers hold read-only dirs and immutable-looking modes; root can remove them all.
  rmSync(dir, { recursive: true, force: true });
}

export interface LayerSpec {
  /** Uncompressed tar bytes. */
  tar: Buffer;
  gzip?: boolean;
  mediaType?: string;
  /** Corrupt the stored blob after computing the digest. */
  tamper?: boolean;
}

export interface LayoutSpec {
  layers: LayerSpec[];
  config?: Record<string, unknown>;
  /** Leave this layer's blob out of blobs/. */
  omitLayer?: number;
  refName?: string;
  /** Overrides the config's rootfs.diff_ids. */
  diffIds?: string[];
}

/** Writes an OCI image layout; returns the manifest digest. */
export function writeOciLayout(dir: string, spec: LayoutSpec): { manifestDigest: string; configDigest: string } {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer): { digest: string; size: number } => {
    const digest = sha(b);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), b);
    return { digest, size: b.length };
  };
  const layerDescs = spec.layers.map((l, i) => {
    const blob = l.gzip === false ? l.tar : gzipSync(l.tar);
    const digest = sha(blob);
    if (i !== spec.omitLayer) {
      const stored = l.tamper ? Buffer.from(blob) : blob;
      if (l.tamper) stored[stored.length - 9] ^= 0xff; // inside the gzip trailer's CRC/size
      writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), stored);
    }
    return {
      mediaType: l.mediaType ?? (l.gzip === false ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.oci.image.layer.v1.tar+gzip'),
      digest,
      size: blob.length,
    };
  });
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'] },
    ...spec.config,
    rootfs: { type: 'layers', diff_ids: spec.diffIds ?? spec.layers.map((l) => sha(l.tar)) },
  };
  const c = put(Buffer.from(JSON.stringify(config)));
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c }, layers: layerDescs };
  const m = put(Buffer.from(JSON.stringify(manifest)));
  const desc: Record<string, unknown> = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m };
  if (spec.refName) desc.annotations = { 'org.opencontainers.image.ref.name': spec.refName };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [desc] }));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { manifestDigest: m.digest, configDigest: c.digest };
}

/**
 * Runs a Python tarfile script with `out` (the archive path) and `tf`
 * (tarfile module) in scope; the script adds members with helpers
 * f(name, data), d(name), sym(name, target), hard(name, target).
 */
export function pyTar(out: string, body: string, format = 'PAX_FORMAT'): void {
  const script = `
import tarfile, io, sys
out = sys.argv[1]
t = tarfile.open(out, 'w', format=tarfile.${format})
def add(ti, data=None):
    t.addfile(ti, io.BytesIO(data) if data is not None else None)
def f(name, data=b'x', mode=0o644, **kw):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = mode
    for k, v in kw.items(): setattr(ti, k, v)
    add(ti, data)
def d(name, mode=0o755):
    ti = tarfile.TarInfo(name); ti.type = tarfile.DIRTYPE; ti.mode = mode; add(ti)
def sym(name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target; add(ti)
def hard(name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.LNKTYPE; ti.linkname = target; add(ti)
${body}
t.close()
`;
  const r = spawnSync('python3', ['-c', script, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python tarfile failed: ${r.stderr}`);
}

/** Every path under a directory (relative), for "nothing was left behind" checks. */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = rel ? join(dir, rel) : dir;
    for (const e of readdirSync(abs)) {
      const r = rel ? `${rel}/${e}` : e;
      out.push(r);
      if (lstatSync(join(dir, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/**
 * A docker-archive directory as skopeo writes one: <hex>.tar layers, the
 * config as <hex>.json, manifest.json and repositories. Returns the config digest.
 */
export function writeDockerArchive(dir: string, spec: { layers: Buffer[]; repoTag?: string; layerPaths?: string[] }): string {
  mkdirSync(dir, { recursive: true });
  const paths = spec.layers.map((tar, i) => {
    const p = spec.layerPaths?.[i] ?? `${sha(tar).slice(7)}.tar`;
    if (!spec.layerPaths) writeFileSync(join(dir, p), tar);
    return p;
  });
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((t) => sha(t)) },
  }));
  const configPath = `${sha(config).slice(7)}.json`;
  writeFileSync(join(dir, configPath), config);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: configPath, RepoTags: spec.repoTag ? [spec.repoTag] : [], Layers: paths }]));
  return sha(config);
}

/**
 * A directory as one tar file, members in the order given (default: sorted,
 * the metadata files last, as docker save and skopeo write them), or all
 * under "./" as `tar -C dir -cf out .` makes them.
 */
export function tarDir(dir: string, out: string, how: { dotSlash?: boolean; order?: string[] } = {}): void {
  const meta = ['index.json', 'manifest.json', 'oci-layout', 'repositories'];
  const top = how.order ?? readdirSync(dir).sort((a, b) => Number(meta.includes(a)) - Number(meta.includes(b)) || a.localeCompare(b));
  const args = how.dotSlash ? ['-C', dir, '-cf', out, '.'] : ['-C', dir, '--no-recursion', '-cf', out, ...listTree(dir).sort((a, b) => top.indexOf(a.split('/')[0]!) - top.indexOf(b.split('/')[0]!) || a.localeCompare(b))];
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
}

/** gzip or zstd of a file next to it (out = file + .gz/.zst); returns out. */
export function compress(file: string, how: 'gzip' | 'zstd'): string {
  const out = `${file}.${how === 'gzip' ? 'gz' : 'zst'}`;
  if (how === 'gzip') writeFileSync(out, gzipSync(readFileSync(file)));
  else {
    const r = spawnSync('zstd', ['-q', '-f', file, '-o', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  }
  return out;
}
