import { ImageError } from '../errors.js';
import type { ImageConfig } from '../types.js';

/**
 * The OCI/docker image config (the JSON the manifest's config descriptor
 * points at) reduced to what the runtime uses as defaults. Pure: tested by
 * table without any archive.
 */

export interface ParsedConfig {
  config: ImageConfig;
  /** rootfs.diff_ids, bottom first: the uncompressed digests the layers must have. */
  diffIds: string[];
  /** "created" from the config, when present. */
  created?: string;
  architecture?: string;
  os?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new ImageError(`image config: ${what} is not a list of strings`);
  return v as string[];
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ImageError(`image config: ${what} is not a string`);
  return v;
}

export function parseImageConfig(raw: unknown): ParsedConfig {
  if (!isObject(raw)) throw new ImageError('image config: not a JSON object');
  const c = isObject(raw.config) ? raw.config : {};
  const rootfs = isObject(raw.rootfs) ? raw.rootfs : {};
  const diffIds = strings(rootfs.diff_ids, 'rootfs.diff_ids');
  const ports = isObject(c.ExposedPorts) ? Object.keys(c.ExposedPorts).sort() : [];
  const config: ImageConfig = {
    entrypoint: strings(c.Entrypoint, 'Entrypoint'),
    cmd: strings(c.Cmd, 'Cmd'),
    env: strings(c.Env, 'Env'),
    workingDir: optString(c.WorkingDir, 'WorkingDir') ?? '/',
  };
  const user = optString(c.User, 'User');
  if (user !== undefined) config.user = user;
  if (ports.length > 0) config.exposedPorts = ports;
  const out: ParsedConfig = { config, diffIds };
  const created = optString(raw.created, 'created');
  if (created !== undefined) out.created = created;
  const arch = optString(raw.architecture, 'architecture');
  if (arch !== undefined) out.architecture = arch;
  const os = optString(raw.os, 'os');
  if (os !== undefined) out.os = os;
  return out;
}

/** Defaults for an image imported from a bare rootfs (no config): a shell, like nspawn without --boot. */
export function rootfsDefaults(): ImageConfig {
  return {
    entrypoint: [],
    cmd: ['/bin/sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    workingDir: '/',
  };
}
