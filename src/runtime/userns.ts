import { existsSync, lchownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '../config/spec.js';
import { overlaps, parseSubIds, pickRange, type IdRange, type PrivateUsers } from '../config/userns.js';
import { acquireLock } from '../kernel/lock.js';
import { STATE_DIR } from '../paths.js';
import { containerDir, locksDir } from '../state/container.js';
import { mkdirPrivate } from '../state/private-dir.js';

/**
 * Host id ranges of --private-users containers. A reservation is a file
 * STATE_DIR/userns/BASE-SIZE naming its container, valid while that
 * container's directory exists: a crash between reserving and writing the
 * container's spec leaks nothing (the next reservation finds it stale).
 * Reserving happens under one lock, so two starts never get overlapping
 * ranges. The range is then kept in the container's stored spec and reused
 * by every later start: its upper dir holds files of those host ids.
 */
const reservationsDir = (): string => join(STATE_DIR, 'userns');

interface Reservation { file: string; owner: string; range: IdRange }

function liveReservations(): Reservation[] {
  let files: string[];
  try {
    files = readdirSync(reservationsDir());
  } catch {
    return [];
  }
  const out: Reservation[] = [];
  for (const f of files) {
    const m = /^(\d+)-(\d+)$/.exec(f);
    if (!m) continue;
    const file = join(reservationsDir(), f);
    let owner = '';
    try { owner = readFileSync(file, 'utf8').trim(); } catch { continue; }
    if (!owner || !existsSync(containerDir(owner))) {
      rmSync(file, { force: true });
      continue;
    }
    out.push({ file, owner, range: { base: Number(m[1]), size: Number(m[2]) } });
  }
  return out;
}

/** Ranges /etc/subuid and /etc/subgid give to users (rootless podman's): never picked. */
function subIdRanges(): IdRange[] {
  const out: IdRange[] = [];
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    try { out.push(...parseSubIds(readFileSync(f, 'utf8'))); } catch { /* none */ }
  }
  return out;
}

const show = (r: IdRange): string => `${r.base}:${r.size}`;

/** The range NAME gets for CHOICE, reserved; null for 'no'. The caller holds NAME's lock. */
export function reserveIdRange(name: string, choice: PrivateUsers): IdRange | null {
  if (choice.mode === 'no') return null;
  mkdirPrivate(reservationsDir());
  mkdirSync(locksDir(), { recursive: true, mode: 0o700 });
  const lock = acquireLock(join(locksDir(), 'userns.lock'), { wait: 'block' });
  try {
    const held = liveReservations();
    for (const r of held) if (r.owner === name) rmSync(r.file, { force: true }); // an earlier attempt of this name
    const others = held.filter((r) => r.owner !== name);
    let range: IdRange | null;
    if (choice.mode === 'fixed') {
      range = { base: choice.base, size: choice.size };
      const clash = others.find((r) => overlaps(r.range, range!));
      if (clash) throw new SpecError('privateUsers', `--private-users ${show(range)} overlaps ${show(clash.range)} of container ${clash.owner}`);
    } else {
      range = pickRange(name, [...others.map((r) => r.range), ...subIdRanges()]);
      if (!range) throw new SpecError('privateUsers', '--private-users pick: no free 64K id range is left');
    }
    writeFileSync(join(reservationsDir(), `${range.base}-${range.size}`), `${name}\n`, { mode: 0o600 });
    return range;
  } finally {
    lock.release();
  }
}

/** Gives paths (not following symlinks) to the range's root: the container's own files. */
export function chownToRange(paths: string[], range: IdRange): void {
  for (const p of paths) lchownSync(p, range.base, range.base);
}
