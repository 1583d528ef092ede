import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ContainerOptions } from '../config/options.js';
import { SpecError, validateSpec, type ContainerSpec, type OptionLabels } from '../config/spec.js';
import { parseCpuList } from '../config/units.js';
import { findImage, resolveImage, type ResolvedImage, type StoreLookup } from '../image/index.js';
import type { NetworkOps } from './deps.js';

function onlineCpus(): number[] {
  try {
    const r = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
    return r.ok ? r.value : [];
  } catch {
    return [];
  }
}

function deviceKind(path: string): 'char' | 'block' | 'other' | null {
  const st = statSync(path, { throwIfNoEntry: false });
  return !st ? null : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'other';
}

/**
 * Everything about a new container that can be checked before anything is
 * created: the spec, the image, the network options. A failure here leaves
 * nothing behind because nothing was made yet.
 */
export function prepareContainer(
  name: string, options: ContainerOptions, network: Pick<NetworkOps, 'validate'>, store?: StoreLookup, labels?: OptionLabels,
): { spec: ContainerSpec; image: ResolvedImage } {
  const spec = validateSpec(name, options, { onlineCpus: onlineCpus(), exists: existsSync, deviceKind }, labels);
  if (options.image === undefined && !findImage(name, store))
    throw new SpecError('image', `no image named '${name}': give --image IMG (see 'tsmachine images')`);
  const image = resolveImage(spec.image, store);
  network.validate(spec.network);
  return { spec, image };
}
