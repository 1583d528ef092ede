import type { ContainerOptions, OptionOrigins } from '../options.js';
import { SETTINGS_DIRS } from '../../paths.js';
import { loadSettings } from './load.js';
import { mergeOptions } from './merge.js';

/** The options a container starts with, and how to name each in an error. */
export interface ResolvedOptions {
  options: ContainerOptions;
  /** "default" | "flag" | "FILE:LINE" per set field (`tsmachine config NAME`). */
  origins: OptionOrigins;
  /** "FILE:LINE: Key=" for fields that came from the file (config/spec.ts OptionLabels); flags keep their own names. */
  labels: Partial<Record<keyof ContainerOptions, string>>;
  warnings: string[];
  file?: string;
}

/**
 * loadSettings + mergeOptions in the shape the runtime's SettingsLoader
 * wants: one call from a name and the typed flags to what to validate.
 */
export function resolveOptions(
  name: string,
  flags: ContainerOptions,
  defaults: ContainerOptions = {},
  dirs: readonly string[] = SETTINGS_DIRS,
): ResolvedOptions {
  const loaded = loadSettings(name, dirs);
  const merged = mergeOptions(defaults, loaded, flags);
  const labels: ResolvedOptions['labels'] = {};
  for (const [field, origin] of Object.entries(merged.origins) as Array<[keyof ContainerOptions, string]>) {
    const key = loaded.keys[field];
    if (key !== undefined && origin === loaded.origins[field]) labels[field] = `${origin}: ${key}=`;
  }
  return { ...merged, labels, warnings: loaded.warnings, ...(loaded.file !== undefined ? { file: loaded.file } : {}) };
}
