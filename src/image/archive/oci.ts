import { createHash } from 'node:crypto';
import { parseJson, readBytes, type LayoutFiles } from './blob-source.js';
import { parseImageConfig } from './config.js';
import { parseDigest } from './digest.js';
import { ImageError } from '../errors.js';
import type { BlobRef } from '../types.js';
import type { ImportPlan, PlannedLayer } from './plan.js';


/**
 * OCI image layout (image-spec image-layout.md): oci-layout, index.json →
 * manifest (choosing this machine's platform from an index) → config →
 * layers. Every descriptor's digest and size are checked; media types outside
 * the spec's list are refused rather than guessed at.
 */

const MT_INDEX = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const MT_MANIFEST = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
const MT_CONFIG = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);
export const LAYER_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null || typeof d.mediaType !== 'string' || typeof d.size !== 'number') {
    throw new ImageError(`${what}: malformed descriptor`);
  }
  parseDigest(d.digest, what);
  return d as Descriptor;
}

/** Node's arch names → GOARCH, which OCI platforms use. */
export function ociArch(nodeArch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

function blobOf(files: LayoutFiles, d: Descriptor, what: string): BlobRef {
  const { algorithm, hex } = parseDigest(d.digest, what);
  const ref = files.lookup(`blobs/${algorithm}/${hex}`);
  if (!ref) throw new ImageError(`${what}: missing blob ${d.digest} in ${files.origin}`);
  if (ref.size !== d.size) throw new ImageError(`${what}: blob ${d.digest} is ${ref.size} bytes, descriptor says ${d.size}`);
  return { ...ref, name: `blob ${d.digest}` };
}

/** Reads a small blob whole and checks its digest (manifests and configs are verified before they are believed). */
function verifiedJson(files: LayoutFiles, d: Descriptor, what: string): unknown {
  const bytes = readBytes(blobOf(files, d, what));
  const { algorithm } = parseDigest(d.digest, what);
  const actual = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
  if (actual !== d.digest) throw new ImageError(`${what}: blob ${d.digest} has digest ${actual}`);
  return parseJson(bytes, `${what} ${d.digest}`);
}

const REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * The manifest to import from an index: the one tagged `ref` when asked
 * (skopeo's PATH:REF), else the only tagged image; among platform variants,
 * this machine's linux/<arch>.
 */
function pickManifest(files: LayoutFiles, index: unknown, what: string, depth: number, ref?: string): { desc: Descriptor; refName?: string } {
  const manifests = (index as { manifests?: unknown }).manifests;
  if (!Array.isArray(manifests) || manifests.length === 0) throw new ImageError(`${what}: no manifests`);
  let descs = manifests.map((m, i) => descriptor(m, `${what} manifests[${i}]`));
  const refs = [...new Set(descs.map((d) => d.annotations?.[REF_NAME]).filter((r): r is string => r !== undefined))];
  if (ref !== undefined) {
    descs = descs.filter((d) => d.annotations?.[REF_NAME] === ref);
    if (descs.length === 0) throw new ImageError(`${what}: no image tagged '${ref}' (have: ${refs.join(', ') || 'none'})`);
  } else if (refs.length > 1) {
    throw new ImageError(`${what}: the layout holds several images (${refs.join(', ')}); import PATH:REF to pick one`);
  }
  const arch = ociArch();
  const fits = (d: Descriptor): boolean => !d.platform || (d.platform.os === 'linux' && d.platform.architecture === arch);
  const chosen = descs.find((d) => d.platform && fits(d)) ?? descs.find(fits);
  if (!chosen) throw new ImageError(`${what}: no manifest for linux/${arch}`);
  const refName = chosen.annotations?.[REF_NAME];
  if (MT_INDEX.has(chosen.mediaType)) {
    if (depth > 3) throw new ImageError(`${what}: indexes nested too deep`);
    const inner = pickManifest(files, verifiedJson(files, chosen, `${what} → index`), `index ${chosen.digest}`, depth + 1);
    const innerRef = inner.refName ?? refName;
    return innerRef !== undefined ? { desc: inner.desc, refName: innerRef } : { desc: inner.desc };
  }
  if (!MT_MANIFEST.has(chosen.mediaType)) throw new ImageError(`${what}: unknown media type ${chosen.mediaType} for ${chosen.digest}`);
  return refName !== undefined ? { desc: chosen, refName } : { desc: chosen };
}

export function planOci(files: LayoutFiles, ref?: string): ImportPlan {
  const layoutRef = files.lookup('oci-layout');
  if (layoutRef) {
    const layout = parseJson(readBytes(layoutRef), 'oci-layout') as { imageLayoutVersion?: unknown };
    if (typeof layout.imageLayoutVersion !== 'string' || !layout.imageLayoutVersion.startsWith('1.')) {
      throw new ImageError(`${files.origin}: unsupported oci-layout version ${JSON.stringify(layout.imageLayoutVersion)}`);
    }
  }
  const indexRef = files.lookup('index.json');
  if (!indexRef) throw new ImageError(`${files.origin}: no index.json`);
  const { desc, refName } = pickManifest(files, parseJson(readBytes(indexRef), 'index.json'), 'index.json', 0, ref);
  const manifest = verifiedJson(files, desc, 'manifest') as { config?: unknown; layers?: unknown };
  const configDesc = descriptor(manifest.config, `manifest ${desc.digest} config`);
  if (!MT_CONFIG.has(configDesc.mediaType)) throw new ImageError(`manifest ${desc.digest}: unknown config media type ${configDesc.mediaType}`);
  const parsed = parseImageConfig(verifiedJson(files, configDesc, 'config'));
  if (!Array.isArray(manifest.layers)) throw new ImageError(`manifest ${desc.digest}: no layers list`);
  if (manifest.layers.length !== parsed.diffIds.length) {
    throw new ImageError(`manifest ${desc.digest}: ${manifest.layers.length} layers but the config lists ${parsed.diffIds.length} diff_ids`);
  }
  const layers: PlannedLayer[] = manifest.layers.map((l, i) => {
    const d = descriptor(l, `manifest ${desc.digest} layers[${i}]`);
    if (!LAYER_MEDIA_TYPES.has(d.mediaType)) throw new ImageError(`layer ${d.digest}: unknown media type ${d.mediaType}`);
    const diffId = parsed.diffIds[i]!;
    if (parseDigest(diffId, `config diff_ids[${i}]`).algorithm !== 'sha256') throw new ImageError(`config diff_ids[${i}]: only sha256 diff_ids are supported`);
    return { blob: blobOf(files, d, `layer ${i}`), digest: d.digest, diffId };
  });
  const plan: ImportPlan = { format: 'oci', configDigest: configDesc.digest, manifestDigest: desc.digest, parsed, layers };
  if (refName) plan.suggestedName = refName;
  return plan;
}

