import { parseJson, readBytes, type LayoutFiles } from './blob-source.js';
import { parseImageConfig } from './config.js';
import { parseDigest, sha256Of } from './digest.js';
import { ImageError } from '../errors.js';
import type { ImportPlan } from './plan.js';

/**
 * `docker save` / skopeo docker-archive: manifest.json lists Config and
 * Layers as paths inside the archive. There are no blob digests, so each
 * layer is verified by its uncompressed digest against the config's
 * rootfs.diff_ids, and the config itself is the image id.
 */

interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

export function isDockerManifest(v: unknown): v is DockerManifestEntry[] {
  return Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'object' && e !== null && 'Config' in e && 'Layers' in e);
}

export function planDockerArchive(files: LayoutFiles): ImportPlan {
  const ref = files.lookup('manifest.json');
  if (!ref) throw new ImageError(`${files.origin}: no manifest.json`);
  const manifest = parseJson(readBytes(ref), 'manifest.json');
  if (!isDockerManifest(manifest)) throw new ImageError(`${files.origin}: manifest.json is not a docker-archive manifest`);
  // An archive of several images: the first is taken (as `docker load` of one tag would).
  const entry = manifest[0]!;
  if (typeof entry.Config !== 'string') throw new ImageError('manifest.json: Config is not a path');
  const configRef = files.lookup(entry.Config);
  if (!configRef) throw new ImageError(`manifest.json: missing config ${entry.Config}`);
  const configBytes = readBytes(configRef);
  const parsed = parseImageConfig(parseJson(configBytes, `config ${entry.Config}`));
  if (!Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) throw new ImageError('manifest.json: Layers is not a list of paths');
  const paths = entry.Layers as string[];
  if (paths.length !== parsed.diffIds.length) {
    throw new ImageError(`manifest.json: ${paths.length} layers but the config lists ${parsed.diffIds.length} diff_ids`);
  }
  const layers = paths.map((p, i) => {
    const blob = files.lookup(p);
    if (!blob) throw new ImageError(`manifest.json: missing layer ${p}`);
    const diffId = parsed.diffIds[i]!;
    if (parseDigest(diffId, `config diff_ids[${i}]`).algorithm !== 'sha256') throw new ImageError(`config diff_ids[${i}]: only sha256 diff_ids are supported`);
    return { blob: { ...blob, name: `layer ${p}` }, diffId };
  });
  const plan: ImportPlan = { format: 'docker-archive', configDigest: sha256Of(configBytes), parsed, layers };
  const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : [];
  if (tags[0]) plan.suggestedName = tags[0];
  return plan;
}
