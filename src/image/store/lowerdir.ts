import { ImageError } from '../errors.js';

/**
 * overlayfs takes its options as one page (4096 bytes): "lowerdir=A:B:…,
 * upperdir=…,workdir=…". Layers are therefore named by short l/ links, and
 * the native stage mounts from the l/ directory naming them relative to it
 * (17 bytes each, as docker's overlay2 does), which fits ~180 layers after
 * leaving room for the container's upper/work dirs (overlay itself takes
 * 500); deeper images are refused at import with that reason rather than
 * failing at mount.
 */
export const PAGE = 4096;
/** Kept free for "upperdir=…,workdir=…" and other options the native stage adds. */
export const RESERVED_FOR_UPPER = 1024;
export const LOWERDIR_BUDGET = PAGE - RESERVED_FOR_UPPER;

/** "lowerdir=" value for overlay: top layer first, as the native stage builds it. */
export function lowerdirOption(layersBottomFirst: string[]): string {
  return [...layersBottomFirst].reverse().join(':');
}

export function checkLowerdirBudget(layerCount: number): void {
  const estimate = 'lowerdir='.length + layerCount * ('0123456789abcdef'.length + 1);
  if (estimate > LOWERDIR_BUDGET) {
    throw new ImageError(`image has ${layerCount} layers: their overlay lowerdir option (~${estimate} bytes) would not fit the ${LOWERDIR_BUDGET}-byte budget of one mount option page`);
  }
}
