import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeAddon } from '../../src/kernel/addon.js';
import { ensureNative, type Fixture, makeFixture, runCaptured, skipReason } from './kernel-fixture.js';

/**
 * Defaults that contain a misbehaving payload (native init.c, mask.c,
 * rootfs.c): bounded tmpfs mounts, /proc/interrupts and the CPUs'
 * thermal_throttle masked, `--bind …:ro` read-only with its submounts, and
 * path resolution in the rootfs that stays there on kernels without openat2.
 */

const E = constants.errno;

describe('resolving a path in the rootfs: openat2 and the walk that replaces it without openat2', () => {
  let base: string, root: string;
  before(() => {
    ensureNative();
    base = mkdtempSync(join(tmpdir(), 'tsm-inroot-'));
    root = join(base, 'root');
    for (const d of ['etc', 'a/b/c', 'usr/lib']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
    symlinkSync('/etc', join(root, 'abs'));
    symlinkSync('/etc/passwd', join(root, 'abs-file'));
    symlinkSync('../../../../../../etc', join(root, 'rel'));
    symlinkSync('..', join(root, 'dotdot'));
    symlinkSync('../../..', join(root, 'a/b/up'));
    symlinkSync('../../../../../etc', join(root, 'a/b/esc'));
    symlinkSync('loop2', join(root, 'loop1'));
    symlinkSync('loop1', join(root, 'loop2'));
    symlinkSync('abs/passwd', join(root, 'chain'));
    symlinkSync('/proc/self/root/etc', join(root, 'host'));
    symlinkSync('usr/lib', join(root, 'lib'));
    symlinkSync('/', join(root, 'slash'));
    root = realpathSync(root);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  // [path, where it leads (below root) or an errno]
  const cases: [string, string | number][] = [
    ['/', ''],
    ['/etc/passwd', '/etc/passwd'],
    ['/abs/passwd', '/etc/passwd'], // an absolute symlink starts again at the rootfs, not the host
    ['abs-file', '/etc/passwd'],
    ['/rel', '/etc'], // ".." past the root stays at the root
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/b/../../etc', '/etc'],
    ['/a/b/up/etc', '/etc'],
    ['/dotdot/dotdot/etc', '/etc'],
    ['/a/./b//c/', '/a/b/c'],
    ['/chain', '/etc/passwd'],
    ['/lib', '/usr/lib'],
    ['/lib/', '/usr/lib'],
    ['/abs-file/', E.ENOTDIR], // a trailing slash asks for a directory, through the link too
    ['/a/b/esc', '/etc'],
    ['/lib/../etc', E.ENOENT], // ".." after a link goes up from where the link led (usr/), as the kernel does
    ['/slash/slash/etc', '/etc'],
    ['/loop1', E.ELOOP],
    ['/etc/passwd/x', E.ENOTDIR],
    ['/missing', E.ENOENT],
    ['/host', E.ENOENT], // /proc/self/root of the rootfs, which has no /proc: not the host's
  ];

  test('the walk and openat2 agree on 2000 random paths over the same tree', () => {
    const parts = ['a', 'b', 'c', '..', '.', '', 'abs', 'rel', 'dotdot', 'lib', 'usr', 'etc', 'passwd', 'chain', 'slash', 'up', 'esc', 'host', 'loop1'];
    let seed = 12345;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let i = 0; i < 2000; i++) {
      const path = (rand(2) ? '/' : '') + Array.from({ length: 1 + rand(6) }, () => parts[rand(parts.length)]).join('/');
      const a = nativeAddon().openInRoot(root, path, false);
      const b = nativeAddon().openInRoot(root, path, true);
      assert.equal(b, a, path);
      if (typeof b === 'string') assert.ok(b === root || b.startsWith(`${root}/`), `${path} → ${b}`);
    }
  });

  for (const walk of [false, true]) {
    test(`${walk ? 'the walk (kernels before 5.6)' : 'openat2'}: symlinks and ".." never lead out of the rootfs`, () => {
      for (const [path, want] of cases) {
        const got = nativeAddon().openInRoot(root, path, walk);
        if (typeof want === 'number') assert.equal(got, -want, `${path} → ${String(got)}`);
        else assert.equal(got, root + want, path);
      }
    });
  }
});

describe('the per-CPU paths mask.c covers', () => {
  let base: string;
  before(() => { ensureNative(); base = mkdtempSync(join(tmpdir(), 'tsm-cpus-')); });
  after(() => rmSync(base, { recursive: true, force: true }));

  test('cpuN/thermal_throttle that exist, over more CPUs than one getdents64 buffer holds; not cpufreq or cpuX', () => {
    const cpu = join(base, 'sys/devices/system/cpu');
    const want: string[] = [];
    for (let n = 0; n < 300; n++) {
      mkdirSync(join(cpu, `cpu${n}`), { recursive: true });
      if (n % 7 === 0) {
        mkdirSync(join(cpu, `cpu${n}`, 'thermal_throttle'));
        want.push(`/sys/devices/system/cpu/cpu${n}/thermal_throttle`);
      }
    }
    for (const d of ['cpufreq', 'cpuidle', 'cpuX', 'cpu1a', 'cpu']) mkdirSync(join(cpu, d, 'thermal_throttle'), { recursive: true });
    const got = nativeAddon().cpuPaths(base, '/sys/devices/system/cpu', '/thermal_throttle');
    assert.ok(Array.isArray(got), String(got));
    assert.deepEqual([...got].sort(), want.sort());
  });

  test('no cpu directory: nothing, no error', () => {
    assert.deepEqual(nativeAddon().cpuPaths(base, '/nowhere/cpu', '/thermal_throttle'), []);
  });
});

describe('container defaults (init stage)', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  let binds: string;
  before(() => {
    ensureNative();
    f = makeFixture();
    binds = join(f.dir, 'binds');
    for (const d of ['ro/sub', 'rw/sub']) mkdirSync(join(binds, d), { recursive: true });
    // A submount inside each bind's source, as a host's /srv with a disk under it would have.
    for (const d of ['ro/sub', 'rw/sub']) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tsmtest', join(binds, d)]);
  });
  after(() => {
    for (const d of ['ro/sub', 'rw/sub']) try { execFileSync('umount', [join(binds, d)]); } catch { /* not mounted */ }
    f.cleanup();
  });

  test('/tmp and /dev/shm are bounded (10% of RAM, 400k inodes), /run and /dev to 64 MB and 64k inodes', async () => {
    const r = await runCaptured(f, { argv: ['sh', '-c', 'grep -E "^[^ ]+ /(tmp|run|dev|dev/shm) tmpfs" /proc/mounts'] });
    assert.equal(r.code, 0, r.out);
    const opts = (mnt: string): string => r.out.split('\n').find((l) => l.split(' ')[1] === mnt)?.split(' ')[3] ?? '';
    for (const mnt of ['/tmp', '/dev/shm']) {
      assert.match(opts(mnt), /(^|,)size=\d+k(,|$)/, `${mnt}: ${opts(mnt)}`);
      assert.match(opts(mnt), /(^|,)nr_inodes=409600(,|$)/, `${mnt}: ${opts(mnt)}`);
    }
    for (const mnt of ['/run', '/dev']) {
      assert.match(opts(mnt), /(^|,)size=65536k(,|$)/, `${mnt}: ${opts(mnt)}`);
      assert.match(opts(mnt), /(^|,)nr_inodes=65536(,|$)/, `${mnt}: ${opts(mnt)}`);
    }
  });

  test('--shm-size sizes /dev/shm (the inode bound stays); /tmp keeps its bound', async () => {
    const r = await runCaptured(f, { argv: ['sh', '-c', 'grep -E "^[^ ]+ /(tmp|dev/shm) tmpfs" /proc/mounts'], shmSize: 256 * 2 ** 20 });
    assert.equal(r.code, 0, r.out);
    const opts = (mnt: string): string => r.out.split('\n').find((l) => l.split(' ')[1] === mnt)?.split(' ')[3] ?? '';
    assert.match(opts('/dev/shm'), /(^|,)size=262144k(,|$)/, opts('/dev/shm'));
    assert.match(opts('/dev/shm'), /(^|,)nr_inodes=409600(,|$)/, opts('/dev/shm'));
    assert.doesNotMatch(opts('/tmp'), /(^|,)size=262144k(,|$)/, opts('/tmp'));
  });

  test('/proc/interrupts reads empty; the rest of /proc still reads', async () => {
    const r = await runCaptured(f, { argv: ['sh', '-c', 'echo interrupts=$(cat /proc/interrupts | wc -c); echo uptime=$(cat /proc/uptime | wc -c)'] });
    assert.equal(r.code, 0, r.out);
    assert.ok(r.out.includes('interrupts=0\n'), r.out);
    assert.match(r.out, /uptime=[1-9]/);
  });

  test('--bind SRC:DST:ro is read-only down its submounts; a writable bind stays writable, submounts too', async () => {
    const script = [
      'for p in /ro/f /ro/sub/f /rw/f /rw/sub/f; do echo x > $p && echo $p=written; done',
      'true',
    ].join('\n');
    const r = await runCaptured(f, {
      argv: ['sh', '-c', script],
      binds: [{ source: join(binds, 'ro'), target: '/ro', readonly: true }, { source: join(binds, 'rw'), target: '/rw', readonly: false }],
    });
    assert.equal(r.code, 0, r.out);
    for (const p of ['/ro/f', '/ro/sub/f']) {
      assert.ok(!r.out.includes(`${p}=written`), `${p} must not be writable:\n${r.out}`);
      assert.match(r.out, new RegExp(`${p}: Read-only file system`), r.out);
    }
    for (const p of ['/rw/f', '/rw/sub/f']) assert.ok(r.out.includes(`${p}=written`), `${p} in\n${r.out}`);
  });
});
