import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MONITOR_BIN, NATIVE_DIR, NATIVE_ADDON, ROOT } from '../../src/paths.js';
import { execInContainer, kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import type { ExecRequest, ParkedContainer, SpawnRequest } from '../../src/kernel/types.js';

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

export interface Captured { code: number; out: string }

/** Stdout and stderr into one file of the fixture, stdin /dev/null, for the duration of fn. */
async function captured(f: Fixture, file: string, fn: (stdio: { kind: 'fds'; stdin: number; stdout: number; stderr: number }) => Promise<number>): Promise<Captured> {
  const outPath = join(f.dir, file);
  const fd = openSync(outPath, 'w');
  const inFd = openSync('/dev/null', 'r');
  try {
    const code = await fn({ kind: 'fds', stdin: inFd, stdout: fd, stderr: fd });
    return { code, out: readFileSync(outPath, 'utf8') };
  } finally {
    closeSync(fd);
    closeSync(inFd);
  }
}

/** Runs one container of the fixture to its end; a failed release rethrows after the monitor is reaped. */
export function runCaptured(f: Fixture, over: Partial<SpawnRequest>): Promise<Captured> {
  return captured(f, 'out', async (stdio) => {
    const c = spawnContainer(f.request({ stdio, ...over }));
    const exited = waitExit(c.monitorPid);
    try { c.release(); } catch (e) { await exited; throw e; }
    return exited;
  });
}

/** Runs a command in the running container whose init is leaderPid, to its end. */
export function execCaptured(f: Fixture, req: Omit<ExecRequest, 'stdio'>): Promise<Captured> {
  return captured(f, 'exec-out', async (stdio) => {
    const e = execInContainer({ ...req, stdio });
    e.release();
    return e.wait();
  });
}

/** A released container whose payload sleeps, for exec tests; stop() kills it and reaps its monitor. */
export function sleepingContainer(f: Fixture, over: Partial<SpawnRequest> = {}): { container: ParkedContainer; stop(): Promise<void> } {
  const container = spawnContainer(f.request({ argv: ['sleep', '1000'], ...over }));
  container.release();
  const exited = waitExit(container.monitorPid);
  return {
    container,
    async stop() {
      kill(container.initPid, 9);
      await exited;
    },
  };
}
