import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_IMAGES, MACHINES_DIR } from '../paths.js';
import { readJson } from '../state/files.js';
import type { ImageConfig, ResolvedImage } from './types.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface BuiltinManifest {
  name: string;
  created: string;
  config: ImageConfig;
}

/** A built-in image: BUILTIN_IMAGES/NAME/{rootfs/,image.json}, made by the build from Debian packages. */
export function resolveBuiltinImage(name: string): ResolvedImage | null {
  const dir = join(BUILTIN_IMAGES, name);
  const manifest = readJson<BuiltinManifest>(join(dir, 'image.json'));
  if (!manifest || !existsSync(join(dir, 'rootfs'))) return null;
  return { name, id: `builtin:${name}`, layers: [join(dir, 'rootfs')], config: manifest.config, source: 'builtin' };
}

/**
 * A directory in /var/lib/machines, as nspawn runs it. Such trees carry no
 * config; like `machinectl start` they boot their init when they have one,
 * else they run a shell.
 */
export function resolveMachinesImage(name: string): ResolvedImage | null {
  const dir = join(MACHINES_DIR, name);
  let st;
  try { st = statSync(dir); } catch { return null; }
  if (!st.isDirectory()) return null;
  const init = ['/sbin/init', '/usr/lib/systemd/systemd', '/bin/sh'].find((p) => existsSync(join(dir, p)));
  return {
    name,
    id: `dir:${dir}`,
    layers: [dir],
    config: { entrypoint: [], cmd: init ? [init] : ['/bin/sh'], env: [DEFAULT_PATH, 'container=tsmachine'], workingDir: '/' },
    source: 'machines',
  };
}

export function listBuiltinImageNames(): string[] {
  return ['httpd'].filter((n) => resolveBuiltinImage(n) !== null);
}
