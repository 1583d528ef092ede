import type { ContainerOptions, OptionOrigins } from '../options.js';

export interface MergedOptions {
  options: ContainerOptions;
  /** Every set field: "default", "flag" or the settings file's "FILE:LINE". */
  origins: OptionOrigins;
}

/**
 * Layers the three sources of a container's options. Pure.
 *
 * Flags override the settings file, the file overrides defaults, field by
 * field. A list given by flags (non-empty) replaces the file's list rather
 * than adding to it, as systemd-nspawn ignores a .nspawn setting whenever the
 * same setting is on its command line: `--bind /a:/b` then means exactly that
 * bind, and a one-off run can drop a file's list without editing the file. An
 * empty list from flags counts as "not given", since a flag parser has no way
 * to say "no binds" and may initialise its arrays to [].
 * The file's lists and an empty file list (a reset, "Bind=") do override the
 * defaults.
 */
export function mergeOptions(
  defaults: ContainerOptions,
  fromFile: { options: ContainerOptions; origins: OptionOrigins },
  fromFlags: ContainerOptions,
): MergedOptions {
  const options: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  const keys = new Set([...Object.keys(defaults), ...Object.keys(fromFile.options), ...Object.keys(fromFlags)]) as Set<keyof ContainerOptions>;

  for (const key of keys) {
    const flag = fromFlags[key];
    const file = fromFile.options[key];
    const def = defaults[key];
    if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) {
      options[key] = copy(flag);
      origins[key] = 'flag';
    } else if (file !== undefined) {
      options[key] = copy(file);
      origins[key] = fromFile.origins[key] ?? 'file';
    } else if (def !== undefined) {
      options[key] = copy(def);
      origins[key] = 'default';
    }
  }
  return { options: options as ContainerOptions, origins: origins as OptionOrigins };
}

/** Lists are copied so the result can be changed without changing an input. */
function copy<T>(v: T): T {
  return (Array.isArray(v) ? [...v] : v) as T;
}
