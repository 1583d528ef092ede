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
}
