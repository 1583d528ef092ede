/**
 * Image archives as `import` meets them: what a source is (detection,
 * peeking into compressed tars), reading it (spooling stdin, gzip/zstd),
 * and the OCI layout and docker-archive formats resolved to an ImportPlan
 * (manifests, configs, digests). Above tar/; nothing is unpacked here.
 */
export { openSource, type OpenOptions, type ScratchFiles, type Source } from './source.js';
export { spoolInput } from './spool.js';
export { decodeError, decoderFor, rangeStream, sniffCompression, type Compression, type Decoder } from './decompress.js';
export { planOci } from './oci.js';
export { planDockerArchive } from './docker-archive.js';
export type { ImportPlan, PlannedLayer } from './plan.js';
export { parseImageConfig, rootfsDefaults, type ParsedConfig } from './config.js';
export { hasher, sha256Of, type Digest } from './digest.js';
