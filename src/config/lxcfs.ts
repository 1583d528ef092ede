import { parseBoolean, type Parsed } from './units.js';

/**
 * --lxcfs / LXCFS=: whether the container's /proc files and
 * /sys/devices/system/cpu/online come from lxcfs (runtime/proc-view.ts).
 * auto: when lxcfs is mounted; yes: refuse to start without it; no: never.
 */
export type LxcfsMode = 'auto' | 'yes' | 'no';

/** "auto", or one of systemd's boolean spellings (yes/no/1/0/true/false/on/off). */
export function parseLxcfsMode(text: string): Parsed<LxcfsMode> {
  if (text.trim().toLowerCase() === 'auto') return { ok: true, value: 'auto' };
  const b = parseBoolean(text);
  return b.ok ? { ok: true, value: b.value ? 'yes' : 'no' } : { ok: false, reason: 'is not auto, yes or no' };
}
