/**
 * Small helpers for integration tests. They run as root inside the test VM
 * (systemd as PID 1, cgroup v2, this checkout at /mnt/host), or on a host
 * whose PID 1 is systemd with `npm run test:integration -- --host`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The checkout's CLI; this file runs from build/test/integration/. */
export const CLI = fileURLToPath(new URL('../../../bin/tsmachine.cjs', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `bin/tsmachine.cjs ...args` as a user does (its first line gives node
 * its flags), capturing output. Never throws for a
 * non-zero exit: assert on `code`. A run past `timeoutMs` is killed and
 * reported with code 124, its output so far, and a note on stderr.
 */
export function tsmachine(
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(CLI, args, opts);
}

/** Run any program, capturing output (same contract as `tsmachine`). */
export function run(
  file: string,
  args: string[],
  { input, env, timeoutMs = 60_000 }: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: `${stderr}\n[killed after ${timeoutMs} ms]` });
      else resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr });
    });
    // A child that exits without reading its input (sh -n -c, true) makes this write EPIPE: not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** `systemctl show -P <property> <unit>`: the value as systemctl prints it ('' if unset). */
export function unitProperty(unit: string, property: string): string {
  return execFileSync('systemctl', ['show', '-P', property, unit], { encoding: 'utf8' }).trim();
}

/** The unit's cgroup directory under /sys/fs/cgroup, from its ControlGroup property. */
export function cgroupDir(unit: string): string {
  const cgroup = unitProperty(unit, 'ControlGroup');
  if (!cgroup) throw new Error(`${unit} has no control group (not running?)`);
  return `/sys/fs/cgroup${cgroup}`;
}

/** One cgroupfs file of a running unit, trimmed: cgroupFile('x.scope', 'memory.max'). */
export function cgroupFile(unit: string, file: string): string {
  return readFileSync(`${cgroupDir(unit)}/${file}`, 'utf8').trim();
}

/**
 * Poll `check` until it returns true (or a truthy value, which is returned).
 * Throws `timed out after N ms waiting for <what>` otherwise: name the
 * condition so a failure says what never happened.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------
// Packages (test/integration/package-*, service-*, settings-*): the .deb and
// .rpm that `npm test` builds into dist/ before the VM boots.

/** The checkout this file runs from (build/test/integration/ → ../../..). */
export const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));

/** Run a shell command line (same contract as `run`). */
export function sh(cmd: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('/bin/sh', ['-c', cmd], opts);
}

/** Throws with the command's output unless it exited 0; returns stdout. */
export function ok(r: RunResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** dist/tsmachine_*.deb or dist/tsmachine-*.rpm of this build (exactly one). */
export function packageFile(kind: 'deb' | 'rpm'): string {
  const dir = `${CHECKOUT}dist`;
  const re = kind === 'deb' ? /^tsmachine_.*\.deb$/ : /^tsmachine-.*\.rpm$/;
  const found = readdirSync(dir).filter((f) => re.test(f));
  if (found.length !== 1) throw new Error(`expected one ${kind} package in ${dir} (npm run package:${kind}), found: ${found.join(' ') || 'none'}`);
  return `${dir}/${found[0]}`;
}

/**
 * Package tests install into and purge from the system they run on (purge
 * deletes /etc/tsmachine and /var/lib/tsmachine): only in the throwaway test
 * VM (its fixed machine-id), or where TSM_PACKAGE_TESTS=1 says it is fine.
 * Returns why they are skipped, or false.
 */
export function packageTestsSkip(): string | false {
  if (process.env.TSM_PACKAGE_TESTS === '1') return false;
  const id = readFileSync('/etc/machine-id', 'utf8').trim();
  return id === '7e57a11c0ffee0000000000000000001' ? false
    : 'installs and purges the tsmachine package: only in the test VM (or with TSM_PACKAGE_TESTS=1)';
}

/** Is the deb (dpkg) or rpm (rpm database) installed? */
export async function installedBy(): Promise<{ deb: boolean; rpm: boolean }> {
  const deb = await run('dpkg-query', ['-W', '-f=${db:Status-Status}', 'tsmachine']);
  const rpm = await sh('command -v rpm >/dev/null && rpm -q tsmachine');
  return { deb: deb.code === 0 && deb.stdout.trim() === 'installed', rpm: rpm.code === 0 };
}

/** Removes whatever package of tsmachine an earlier test file left installed. */
export async function removePackages(): Promise<void> {
  rmSync('/run/tsm-test-deb.md5', { force: true });
  const has = await installedBy();
  if (has.deb) ok(await run('dpkg', ['--purge', 'tsmachine'], { timeoutMs: 120_000 }), 'dpkg --purge tsmachine');
  else await run('dpkg', ['--purge', 'tsmachine'], { timeoutMs: 120_000 }); // config-files state
  if (has.rpm) ok(await run('rpm', ['-e', 'tsmachine'], { timeoutMs: 120_000 }), 'rpm -e tsmachine');
}

/**
 * This build's .deb, installed: reused when exactly this package is installed
 * and `dpkg --verify` finds its files intact (a dpkg -i costs ~12 s in the
 * guest), otherwise a clean `dpkg -i` after removing any earlier install.
 * `fresh` always reinstalls (the tests of the install itself).
 */
export async function installDeb({ fresh = false }: { fresh?: boolean } = {}): Promise<void> {
  const deb = packageFile('deb');
  if (!fresh && (await installedBy()).deb) {
    const want = ok(await run('dpkg-deb', ['-f', deb, 'Version']), 'dpkg-deb -f').trim();
    const have = (await run('dpkg-query', ['-W', '-f=${Version}', 'tsmachine'])).stdout.trim();
    const md5 = ok(await run('md5sum', [deb]), 'md5sum').split(' ')[0];
    const verify = await run('dpkg', ['--verify', 'tsmachine']);
    if (want === have && md5 === installedDebMd5 && verify.code === 0 && verify.stdout.trim() === '') return;
  }
  await removePackages();
  ok(await run('dpkg', ['-i', deb], { timeoutMs: 180_000 }), 'dpkg -i');
  installedDebMd5 = ok(await run('md5sum', [deb]), 'md5sum').split(' ')[0];
  writeFileSync('/run/tsm-test-deb.md5', installedDebMd5);
}
/** The md5 of the .deb the test files installed (kept in /run across test files of one boot). */
let installedDebMd5 = (() => { try { return readFileSync('/run/tsm-test-deb.md5', 'utf8'); } catch { return ''; } })();

/** `machinectl list` rows as {machine, class, service}. */
export async function machines(): Promise<Array<{ machine: string; class: string; service: string }>> {
  const out = ok(await run('machinectl', ['list', '--no-legend', '--no-pager']), 'machinectl list');
  return out.split('\n').filter((l) => l.trim()).map((l) => {
    const [machine = '', cls = '', service = ''] = l.trim().split(/\s+/);
    return { machine, class: cls, service };
  });
}

/**
 * Where systemd finds the packaged template: /usr/lib/systemd/system, which
 * on Debian 12 it reports as /lib/systemd/system (merged /usr; /lib comes
 * first in its search path).
 */
export const TEMPLATE = /^(\/usr)?\/lib\/systemd\/system\/tsmachine@\.service$/;

/**
 * An [Exec] section whose payload (PID 1 of the container) ends on SIGTERM:
 * busybox httpd as PID 1 has no handler, so the kernel drops the signal and
 * every stop waits out the 10 s grace. The default payload keeps that for
 * the tests of httpd itself; the others stop at once with this.
 */
export const TRAP_PAYLOAD =
  '[Exec]\nParameters=/bin/sh -c "trap \'exit 0\' TERM; /bin/busybox httpd -f -v -p 80 -h /www & wait"\n\n';
