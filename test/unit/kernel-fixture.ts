import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MONITOR_BIN, NATIVE_DIR, NATIVE_ADDON, ROOT } from '../../src/paths.js';
import type { SpawnRequest } from '../../src/kernel/types.js';

/**
 * Shared by the kernel-*.test.ts files: a busybox rootfs in a temp dir and a
 * SpawnRequest around it. These tests need root (namespaces, overlay).
 */

export const BUSYBOX = '/bin/busybox';

/** Why the namespace tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(BUSYBOX)) return 'needs busybox-static';
  return null;
}

/** Builds native/ when the library or monitor is missing (tests may run before `npm run build`). */
export function ensureNative(): void {
  if (existsSync(NATIVE_ADDON) && existsSync(MONITOR_BIN)) return;
  execFileSync('make', ['-s', '-C', join(ROOT, 'native')], { stdio: 'inherit' });
  if (!existsSync(NATIVE_ADDON)) throw new Error(`no ${NATIVE_ADDON} after make (NATIVE_DIR ${NATIVE_DIR})`);
}

export interface Fixture {
  dir: string;
  lower: string;
  upper: string;
  work: string;
  mnt: string;
  exitFile: string;
  request(over?: Partial<SpawnRequest>): SpawnRequest;
  cleanup(): void;
}

const APPLETS = ['sh', 'cat', 'echo', 'ls', 'hostname', 'sleep', 'true', 'false', 'touch', 'readlink', 'stat', 'ps', 'grep', 'wc', 'test', 'kill', 'tr'];

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-kernel-'));
  const lower = join(dir, 'lower');
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const mnt = join(dir, 'mnt');
  for (const d of [lower, upper, work, mnt, join(lower, 'bin'), join(lower, 'etc'), join(lower, 'root')]) mkdirSync(d, { recursive: true });
  copyFileSync(BUSYBOX, join(lower, 'bin/busybox'));
  chmodSync(join(lower, 'bin/busybox'), 0o755);
  for (const a of APPLETS) symlinkSync('busybox', join(lower, 'bin', a));
  const exitFile = join(dir, 'exit');
  return {
    dir, lower, upper, work, mnt, exitFile,
    request(over: Partial<SpawnRequest> = {}): SpawnRequest {
      return {
        name: 'ktest',
        hostname: 'ktest-host',
        rootfs: { lowerdirs: [lower], upperdir: upper, workdir: work, mountpoint: mnt },
        binds: [],
        argv: ['/bin/true'],
        env: ['PATH=/bin', 'HOME=/root'],
        cwd: '/',
        shareHostNetwork: false,
        stdio: { kind: 'inherit' },
        exitFile,
        ...over,
      };
    },
    cleanup(): void {
      try { execFileSync('umount', ['-l', mnt], { stdio: 'ignore' }); } catch { /* never mounted on the host */ }
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
