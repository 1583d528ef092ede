import type { BlobRef } from '../types.js';
import type { ParsedConfig } from './config.js';

/** What a source format resolves to before any layer is unpacked: everything is checked against it while streaming. */
export interface PlannedLayer {
  blob: BlobRef;
  /** Digest the blob bytes must have (OCI descriptors); docker-archive layers only have a diffID. */
  digest?: string;
  /** Digest the uncompressed tar must have (config rootfs.diff_ids); the store's key. */
  diffId: string;
}

export interface ImportPlan {
  format: 'oci' | 'docker-archive';
  /** The image id: digest of the config blob, as docker and podman show it. */
  configDigest: string;
  manifestDigest?: string;
  parsed: ParsedConfig;
  layers: PlannedLayer[];
  /** A name the source suggests (ref.name annotation, RepoTags). */
  suggestedName?: string;
}
