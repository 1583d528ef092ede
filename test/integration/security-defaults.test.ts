/**
 * Defaults that contain a misbehaving payload and keep the host's users out
 * of the store, through the CLI in a real systemd:
 *  - /var/lib/tsmachine is 0700 whichever command makes it first (an
 *    `import` used to make it 0755: moby CVE-2021-41091), and an older
 *    0755 one is tightened by the next start;
 *  - a default container: io_uring and kcmp refused by seccomp,
 *    /proc/interrupts masked, /tmp and /dev/shm bounded, a `--bind …:ro`
 *    read-only down its submounts while a plain bind stays writable.
 * The seccomp probe is test/fixtures/seccomp-probe.c, built static on the
 * host by `npm run build` (the VM has no compiler).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKOUT, run, tsmachine, type RunResult } from './helpers.js';

const PROBE_DIR = join(CHECKOUT, 'build', 'test', 'fixtures');
const BUSYBOX_ROOTFS = join(CHECKOUT, 'build', 'images', 'httpd', 'rootfs');
/** A state dir of this file's own, so "fresh" means fresh whatever ran before in this boot. */
const FRESH = '/var/lib/tsm-secstore';
const BINDS = '/run/tsm-secdef';
const freshEnv = { ...process.env, TSMACHINE_STATE_DIR: FRESH };

const mode = (p: string): number => statSync(p).mode & 0o7777;
const asNobody = (args: string[]): Promise<RunResult> => run('runuser', ['-u', 'nobody', '--', ...args]);

async function ok(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const r = await tsmachine(args, { ...(env ? { env } : {}), timeoutMs: 120_000 });
  assert.equal(r.code, 0, `tsmachine ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** "name=VALUE" lines as a map. */
function parseLines(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^([\w/]+)=(\S*)$/gm)) r[m[1]!] = m[2]!;
  return r;
}

before(() => {
  rmSync(FRESH, { recursive: true, force: true });
  for (const d of ['ro/sub', 'rw/sub']) {
    mkdirSync(join(BINDS, d), { recursive: true });
    // A submount inside each bind's source, as a host's /srv with a disk under it would have.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tsmsecdef', join(BINDS, d)]);
  }
});

after(async () => {
  for (const n of ['secdef-st1', 'secdef-st2']) await tsmachine(['rm', '--force', n], { env: freshEnv });
  for (const d of ['ro/sub', 'rw/sub']) try { execFileSync('umount', [join(BINDS, d)]); } catch { /* not mounted */ }
  rmSync(BINDS, { recursive: true, force: true });
  rmSync(FRESH, { recursive: true, force: true });
});

test('an import first on a fresh state dir makes it 0700: nobody cannot list it or reach a layer; root runs from it', async () => {
  assert.ok(!existsSync(FRESH));
  await ok(['import', '--name', 'secimg', BUSYBOX_ROOTFS], freshEnv);
  assert.equal(mode(FRESH), 0o700, 'the state dir');
  for (const d of ['layers', 'layers/sha256', 'images', 'l']) assert.equal(mode(join(FRESH, d)), 0o700, d);
  const ls = await asNobody(['ls', FRESH]);
  assert.notEqual(ls.code, 0, `nobody listed ${FRESH}: ${ls.stdout}`);
  assert.match(ls.stderr, /Permission denied/);
  const layer = await asNobody(['ls', join(FRESH, 'layers', 'sha256')]);
  assert.notEqual(layer.code, 0, 'nobody reached the layers');
  // The store still works for root: a container runs from the imported image.
  const r = await ok(['run', '--rm', '--network', 'none', '--image', 'secimg', 'secdef-st1', '--', 'cat', '/www/index.html'], freshEnv);
  assert.match(r.stdout, /tsmachine container/);
});

test('an older 0755 state dir is tightened by the next start; the default /var/lib/tsmachine is not listable by nobody', async () => {
  chmodSync(FRESH, 0o755);
  const before = await asNobody(['ls', FRESH]);
  assert.equal(before.code, 0, `the test's own premise: nobody lists a 0755 dir (${before.stderr})`);
  await ok(['start', 'secdef-st2', '--network', 'none', '--image', 'secimg', '--', 'sleep', '1000'], freshEnv);
  assert.equal(mode(FRESH), 0o700);
  assert.notEqual((await asNobody(['ls', FRESH])).code, 0, 'nobody still lists it after start');
  await ok(['rm', '--force', 'secdef-st2'], freshEnv);

  await ok(['run', '--rm', '--network', 'none', '--image', 'httpd', 'secdef-st3', '--', 'true']);
  assert.equal(mode('/var/lib/tsmachine') & 0o077, 0, `/var/lib/tsmachine is ${mode('/var/lib/tsmachine').toString(8)}`);
  const ls = await asNobody(['ls', '/var/lib/tsmachine']);
  assert.notEqual(ls.code, 0, `nobody listed /var/lib/tsmachine: ${ls.stdout}`);
});

test('a default container: io_uring and kcmp refused, /proc/interrupts masked, /tmp and /dev/shm bounded, ro binds read-only down their submounts', async () => {
  const script = [
    '/probe/seccomp-probe',
    'echo interrupts=$(cat /proc/interrupts | wc -c)',
    'echo uptime=$(cat /proc/uptime | wc -c)',
    'while read -r dev mnt type opts rest; do case "$mnt" in /tmp|/dev/shm|/run) echo "$mnt=$opts";; esac; done < /proc/mounts',
    'for p in /ro/f /ro/sub/f /rw/f /rw/sub/f; do echo x > $p && echo $p=written; done',
    'true',
  ].join('\n');
  const binds = ['--bind', `${PROBE_DIR}:/probe:ro`, '--bind', `${BINDS}/ro:/ro:ro`, '--bind', `${BINDS}/rw:/rw`];
  const r = await ok(['run', '--rm', '--network', 'none', '--image', 'httpd', ...binds, 'secdef-c1', '--', 'sh', '-c', script]);
  const out = r.stdout + r.stderr;
  const p = parseLines(out);
  for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'kcmp']) assert.equal(p[name], 'EPERM', `${name} in\n${out}`);
  assert.equal(p.getpid, '0', out);
  assert.equal(p.interrupts, '0', `/proc/interrupts must read empty:\n${out}`);
  assert.notEqual(p.uptime, '0', 'the rest of /proc reads');
  for (const mnt of ['/tmp', '/dev/shm']) {
    assert.match(p[mnt] ?? '', /(^|,)size=\d+k(,|$)/, `${mnt}: ${p[mnt]}`);
    assert.match(p[mnt] ?? '', /(^|,)nr_inodes=409600(,|$)/, `${mnt}: ${p[mnt]}`);
  }
  assert.match(p['/run'] ?? '', /(^|,)size=65536k(,|$)/, `/run: ${p['/run']}`);
  for (const f of ['/ro/f', '/ro/sub/f']) {
    assert.equal(p[f], undefined, `${f} must not be writable:\n${out}`);
    assert.match(out, new RegExp(`${f}: Read-only file system`));
  }
  for (const f of ['/rw/f', '/rw/sub/f']) assert.equal(p[f], 'written', `${f} in\n${out}`);
  assert.ok(existsSync(join(BINDS, 'rw/sub/f')), 'the write reached the host submount');

  // --shm-size (docker's): /dev/shm that size, its inode bound kept; a size that is none: one line, nothing made
  const shm = await ok(['run', '--rm', '--network', 'none', '--image', 'httpd', '--shm-size', '128M', 'secdef-c3', '--', 'sh', '-c', 'grep " /dev/shm " /proc/mounts']);
  assert.match(shm.stdout, /(^|,)size=131072k(,|$)/m, shm.stdout);
  assert.match(shm.stdout, /nr_inodes=409600/, shm.stdout);
  const badShm = await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', '--shm-size', 'lots', 'secdef-c4', '--', 'true']);
  assert.equal(badShm.code, 125);
  assert.equal(badShm.stderr.trim(), "tsmachine: run secdef-c4: --shm-size 'lots' is not a size");
  assert.ok(!existsSync('/var/lib/tsmachine/containers/secdef-c4'));

  // The probe can tell: unconfined, the same calls reach the kernel.
  const loose = await ok(['run', '--rm', '--network', 'none', '--image', 'httpd', '--seccomp', 'unconfined', '--bind', `${PROBE_DIR}:/probe:ro`, 'secdef-c2', '--', '/probe/seccomp-probe']);
  const q = parseLines(loose.stdout);
  assert.equal(q.kcmp, '0', loose.stdout);
  assert.equal(q.io_uring_setup, 'EFAULT', loose.stdout);
});
