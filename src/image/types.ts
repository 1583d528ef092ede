/**
 * What the runtime needs from an image, whatever store it came from
 * (the built-in httpd image, a directory in /var/lib/machines, an imported OCI image).
 */
export interface ImageConfig {
  /** Entrypoint + Cmd already combined into one default argv (may be empty). */
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user?: string;
  exposedPorts?: string[];
}

export interface ResolvedImage {
  name: string;
  /** Content digest ("sha256:…") or a stable id for directory images. */
  id: string;
  /** Read-only layer directories, bottom first. */
  layers: string[];
  config: ImageConfig;
  /** Where it came from: "builtin", "machines", "store". */
  source: 'builtin' | 'machines' | 'store';
  /** Store images only: the layers' diffIDs, bottom first (what a container records, see StoredImage). */
  diffIds?: string[];
}

/**
 * What a container made from a layer-store image keeps of it, as docker
 * keeps the image id: enough to start again from the same content after the
 * image's name is gone (rmi --force, a re-import under the name), and the
 * layers prune must leave alone while the container exists.
 */
export interface StoredImage {
  /** diffIDs, bottom first: the store's keys (layers/sha256/<hex>). */
  layers: string[];
  /** The image's config as it was at creation. */
  config: ImageConfig;
}

/** A byte range of a file: a file of its own in an OCI dir, or a member of an archive. */
export interface BlobRef {
  file: string;
  offset: number;
  size: number;
  /** How errors name it: "blob sha256:…", "layer foo/layer.tar", "img.tar.gz". */
  name: string;
}
