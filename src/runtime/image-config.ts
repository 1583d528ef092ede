import type { ContainerSpec } from '../config/spec.js';
import type { ImageConfig } from '../image/index.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The payload as the image and the user together define it, with docker's
 * rules: a command replaces Cmd but keeps Entrypoint; user env overrides the
 * image's by key; the user's workdir overrides WorkingDir, --user overrides User.
 */
export function payloadFor(spec: ContainerSpec, image: ImageConfig): Payload {
  const argv = [...image.entrypoint, ...(spec.command.length > 0 ? spec.command : image.cmd)];
  const env = mergeEnv([DEFAULT_PATH, ...image.env, 'container=tsmachine', `HOSTNAME=${spec.hostname}`], spec.env);
  const user = spec.user || image.user || '';
  return { argv, env, cwd: spec.workdir || image.workingDir || '/', ...(user ? { user } : {}) };
}

export interface Payload {
  argv: string[];
  env: string[];
  cwd: string;
  /** "USER[:GROUP]" for the native stage to resolve; absent: root. */
  user?: string;
}

export function mergeEnv(base: string[], overrides: string[]): string[] {
  const byKey = new Map<string, string>();
  for (const e of [...base, ...overrides]) {
    const i = e.indexOf('=');
    if (i > 0) byKey.set(e.slice(0, i), e);
  }
  return [...byKey.values()];
}
