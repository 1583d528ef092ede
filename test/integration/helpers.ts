/**
 * Small helpers for integration tests. They run as root inside the test VM
 * (systemd as PID 1, cgroup v2, this checkout at /mnt/host), or on a host
 * whose PID 1 is systemd with `npm run test:integration -- --host`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The checkout's CLI; this file runs from build/test/integration/. */
export const CLI = fileURLToPath(new URL('../../../bin/tsmachine.mjs', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `node bin/tsmachine.mjs ...args`, capturing output. Never throws for a
 * non-zero exit: assert on `code`. A run past `timeoutMs` is killed and
 * reported with code 124, its output so far, and a note on stderr.
 */
export function tsmachine(
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], opts);
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
