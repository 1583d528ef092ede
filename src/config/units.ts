import type { SeccompProfile } from '../kernel/types.js';

/**
 * Parsers for the value syntaxes users type: sizes, CPU counts, CPU lists.
 * Pure; each returns a value or a reason (a phrase that completes
 * "'<text>' ..."), so the caller can name the flag or settings line.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * "64M", "1.5G", "512k", "1048576", "64MiB", "64MB" → bytes (binary units, as
 * docker and systemd both read them). "infinity"/"max" → null (no limit).
 */
export function parseSize(text: string): Parsed<number | null> {
  const t = text.trim().toLowerCase();
  if (t === 'infinity' || t === 'max') return ok(null);
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/.exec(t);
  if (!m) return bad('is not a size');
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!]!);
  if (!Number.isSafeInteger(bytes)) return bad('is too large');
  if (bytes <= 0) return bad('must be more than 0');
  return ok(bytes);
}

/** "0.5", "2" → CPUs of bandwidth, in hundredths at the finest (systemd stores percent). */
export function parseCpus(text: string): Parsed<number> {
  const t = text.trim();
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return bad('is not a number of CPUs');
  const n = Number(t);
  if (!(n >= 0.01)) return bad('is below the smallest quota (0.01 CPUs)');
  if (n > 1024) return bad('is more than 1024 CPUs');
  return ok(n);
}

/** "0-3,6" → [0,1,2,3,6]: sorted, without duplicates. */
export function parseCpuList(text: string): Parsed<number[]> {
  const t = text.trim();
  if (t === '') return bad('is an empty CPU list');
  const cpus = new Set<number>();
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return bad('is not a CPU list (like 0-1,3)');
    const from = Number(m[1]), to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return bad(`has a range that runs backwards (${part.trim()})`);
    if (to > 8191) return bad(`names CPU ${to}, beyond the kernel's limit`);
    for (let c = from; c <= to; c++) cpus.add(c);
  }
  return ok([...cpus].sort((a, b) => a - b));
}

/** A positive integer within [min, max]; "infinity"/"max" → null when allowed. */
export function parseCount(text: string, min: number, max: number, allowInfinity: boolean): Parsed<number | null> {
  const t = text.trim().toLowerCase();
  if (allowInfinity && (t === 'infinity' || t === 'max')) return ok(null);
  if (!/^\d+$/.test(t)) return bad('is not a whole number');
  const n = Number(t);
  if (n < min || n > max) return bad(`is outside ${min}..${max}`);
  return ok(n);
}

/**
 * docker's --user: "USER[:GROUP]", each a name or a numeric id. Names are
 * looked up in the container's /etc files when it starts, so only the shape
 * is checked here: what a passwd line could hold (no ':', whitespace, NUL).
 */
export function parseUser(text: string): Parsed<string> {
  const parts = text.split(':');
  if (text === '' || parts.length > 2 || parts.some((p) => p === '')) return bad('is not USER[:GROUP]');
  for (const p of parts) {
    if (/[\s\0/]/.test(p) || p.length > 255) return bad(`has '${p}', which is not a user or group name`);
    if (/^\d+$/.test(p) && Number(p) >= 0xffffffff) return bad(`has id ${p}, above 4294967294`);
  }
  return ok(text);
}

/** --seccomp: the built-in profile or none (a profile file is not supported). */
export function parseSeccomp(text: string): Parsed<SeccompProfile> {
  if (text === 'default' || text === 'unconfined') return ok(text);
  return bad('is not default or unconfined');
}

/** systemd's parse_boolean(): 1/yes/y/true/t/on and 0/no/n/false/f/off, any case. */
export function parseBoolean(text: string): Parsed<boolean> {
  const t = text.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(t)) return ok(true);
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(t)) return ok(false);
  return bad('is not a boolean (yes or no)');
}

/** Formats a CPU list back into the short form ("0-3,6"). */
export function formatCpuList(cpus: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    out.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Bytes → "64M"-style text for listings. */
export function formatSize(bytes: number): string {
  for (const [unit, f] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const)
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  return `${bytes}`;
}
