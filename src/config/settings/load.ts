import { readIfPresent } from '../../quiet-fs.js';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { ContainerOptions, OptionOrigins } from '../options.js';
import { SETTINGS_DIRS } from '../../paths.js';
import { parseSettings } from './apply.js';
import { SettingsError } from './error.js';

export { mergeOptions, type MergedOptions } from './merge.js';

export interface LoadedSettings {
  /** Only the fields the file sets (empty when there is no file). */
  options: ContainerOptions;
  origins: OptionOrigins;
  /** The key that set each field, for error labels ("FILE:LINE: Bind="). */
  keys: Partial<Record<keyof ContainerOptions, string>>;
  warnings: string[];
  /** The file that was read, if any. */
  file?: string;
}

/** Larger than any sane settings file; keeps a mistaken symlink to a disk image from being slurped. */
const MAX_FILE = 4 * 1024 * 1024;

/**
 * Reads NAME.tsmachine from the first directory of `dirs` that has it
 * (/etc/tsmachine before /run/tsmachine), as systemd-nspawn picks the first
 * NAME.nspawn it finds: files are not merged. No file is not an error.
 */
export function loadSettings(name: string, dirs: readonly string[] = SETTINGS_DIRS): LoadedSettings {
  if (name === '' || name === '.' || name === '..' || /[/\0]/.test(name)) {
    throw new UsageError(`'${name}' is not a valid container name for a settings file`);
  }
  for (const dir of dirs) {
    const file = join(dir, `${name}.tsmachine`);
    const bytes = readIfExists(file);
    if (bytes === undefined) continue;
    return { ...parseSettings(bytes, file), file };
  }
  return { options: {}, origins: {}, keys: {}, warnings: [] };
}

function readIfExists(file: string): Uint8Array | undefined {
  try {
    const bytes = readIfPresent(file);
    if (bytes === null) return undefined;
    if (bytes.length > MAX_FILE) throw new SettingsError(file, undefined, `larger than ${MAX_FILE} bytes`);
    return bytes;
  } catch (err) {
    if (err instanceof SettingsError) throw err;
    throw new SettingsError(file, undefined, `cannot read: ${(err as Error).message}`, { cause: err });
  }
}
