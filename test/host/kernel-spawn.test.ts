import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError, kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import type { SpawnRequest } from '../../src/kernel/types.js';
import { ensureNative, type Fixture, makeFixture, skipReason } from './kernel-fixture.js';

const skip = skipReason();

/** Runs a container to its end with stdio in files; returns its exit status and output. */
async function run(f: Fixture, over: Partial<SpawnRequest>): Promise<{ code: number; out: string; file: string }> {
  const outPath = join(f.dir, 'out');
  const fd = openSync(outPath, 'w');
  const inFd = openSync('/dev/null', 'r');
  try {
    const c = spawnContainer(f.request({ stdio: { kind: 'fds', stdin: inFd, stdout: fd, stderr: fd }, ...over }));
    const exited = waitExit(c.monitorPid);
    try {
      c.release();
    } catch (e) {
      await exited; // init's mount namespace (and the overlay) is gone only then
      throw e;
    }
    const code = await exited;
    return { code, out: readFileSync(outPath, 'utf8'), file: readFileSync(f.exitFile, 'utf8') };
  } finally {
    closeSync(fd);
    closeSync(inFd);
  }
}

function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') === true && false;
  } catch {
    return true;
  }
}

describe('spawnContainer', { skip: skip ?? false }, () => {
  let f: Fixture;
  before(() => ensureNative());
  // A fresh rootfs per test keeps upperdir assertions honest.
  const fresh = (): Fixture => {
    f?.cleanup();
    f = makeFixture();
    return f;
  };
  after(() => f?.cleanup());

  test('payload is PID 1 on an overlay root with its own hostname, /proc and namespaces', async () => {
    fresh();
    const script = [
      'echo pid=$$',
      'echo host=$(hostname)',
      'for p in /proc/[0-9]*; do echo proc=${p#/proc/}; done',
      'for n in pid mnt uts ipc net cgroup; do echo ns=$n=$(readlink /proc/self/ns/$n); done',
      'echo written > /root/written',
      'echo lo=$(cat /sys/class/net/lo/flags)',
      'cat /proc/self/mountinfo',
      'exit 7',
    ].join('\n');
    const r = await run(f, { argv: ['sh', '-c', script] });
    assert.equal(r.code, 7, r.out);
    assert.equal(r.file, '7\n');
    const lines = r.out.split('\n');
    assert.ok(lines.includes('pid=1'), r.out);
    assert.ok(lines.includes('host=ktest-host'), r.out);
    assert.deepEqual(lines.filter((l) => l.startsWith('proc=')), ['proc=1'], 'only the payload is visible in /proc');
    for (const l of lines.filter((x) => x.startsWith('ns='))) {
      const [, name, link] = l.split('=');
      assert.notEqual(link, readlinkSync(`/proc/self/ns/${name}`), `${name} namespace is the host's`);
    }
    const root = lines.find((l) => / \/ \/ /.test(l) && l.includes(' - '));
    assert.match(root ?? '', / - overlay overlay /, 'root is the overlay');
    assert.equal(readFileSync(join(f.upper, 'root/written'), 'utf8'), 'written\n', 'writes land in upperdir');
    const flags = Number(lines.find((l) => l.startsWith('lo='))?.slice(3));
    assert.equal(flags & 1, 1, 'lo is up');
  });

  test('argv[0] without a slash is found in PATH from env; cwd applies', async () => {
    fresh();
    mkdirSync(join(f.lower, 'srv'));
    const r = await run(f, { argv: ['sh', '-c', 'pwd'], env: ['PATH=/nonexistent:/bin'], cwd: '/srv' });
    assert.equal(r.code, 0);
    assert.equal(r.out, '/srv\n');
  });

  test('binds: read-only is read-only, read-write writes through, missing targets are created', async () => {
    fresh();
    const ro = join(f.dir, 'ro');
    const rw = join(f.dir, 'rw');
    mkdirSync(ro);
    mkdirSync(rw);
    const file = join(f.dir, 'file.txt');
    writeFileSync(file, 'hello\n');
    const script = [
      'touch /data/ro/x 2>/dev/null && echo ro=writable || echo ro=readonly',
      'touch /data/rw/x && echo rw=ok',
      'cat /etc/deep/file.txt',
    ].join('\n');
    const r = await run(f, {
      argv: ['sh', '-c', script],
      binds: [
        { source: ro, target: '/data/ro', readonly: true },
        { source: rw, target: '/data/rw', readonly: false },
        { source: file, target: '/etc/deep/file.txt', readonly: true },
      ],
    });
    assert.equal(r.out, 'ro=readonly\nrw=ok\nhello\n');
    assert.ok(existsSync(join(rw, 'x')));
    assert.ok(!existsSync(join(ro, 'x')));
  });

  test('a symlink in the image cannot redirect a bind target to the host', async () => {
    fresh();
    const hostDir = join(f.dir, 'host-only');
    mkdirSync(hostDir);
    const { symlinkSync } = await import('node:fs');
    symlinkSync(hostDir, join(f.lower, 'evil')); // absolute: means <rootfs><hostDir> inside
    const src = join(f.dir, 'src');
    writeFileSync(src, 'x');
    // Resolved inside the rootfs the link dangles, so the bind fails; what matters is where.
    await assert.rejects(run(f, { argv: ['true'], binds: [{ source: src, target: '/evil/planted', readonly: false }] }),
      (e: unknown) => e instanceof KernelError && e.path === '/evil/planted');
    assert.ok(!existsSync(join(hostDir, 'planted')), 'bind target escaped the rootfs');
  });

  test('shareHostNetwork keeps the host network namespace', async () => {
    fresh();
    const r = await run(f, { argv: ['readlink', '/proc/self/ns/net'], shareHostNetwork: true });
    assert.equal(r.out.trim(), readlinkSync('/proc/self/ns/net'));
  });

  test('killed payload records 128+9', async () => {
    fresh();
    const c = spawnContainer(f.request({ argv: ['sleep', '100'] }));
    c.release();
    assert.ok(kill(c.initPid, 9));
    assert.equal(await waitExit(c.monitorPid), 137);
    assert.equal(readFileSync(f.exitFile, 'utf8'), '137\n');
  });

  test('release of a missing command throws KernelError naming execve, ENOENT and the path', async () => {
    fresh();
    const c = spawnContainer(f.request({ argv: ['/bin/nope'] }));
    assert.throws(() => c.release(), (e: unknown) => {
      assert.ok(e instanceof KernelError);
      assert.equal(e.stage, 'init');
      assert.equal(e.syscall, 'execve');
      assert.equal(e.errnoName, 'ENOENT');
      assert.equal(e.path, '/bin/nope');
      assert.match(e.message, /^init: execve \/bin\/nope failed: ENOENT/);
      return true;
    });
    assert.equal(await waitExit(c.monitorPid), 127);
    const p = spawnContainer(f.request({ argv: ['nope'] }));
    assert.throws(() => p.release(), (e: unknown) => e instanceof KernelError && e.path === 'nope' && e.errnoName === 'ENOENT');
    await waitExit(p.monitorPid);
  });

  test('buildRootfs: the root is built before the release, the payload waits for it; a failure there is reported at once', async () => {
    fresh();
    writeFileSync(join(f.lower, 'marker'), 'from the image');
    const c = spawnContainer(f.request({ argv: ['true'] }));
    assert.equal(c.reportedFailure(), null);
    c.buildRootfs();
    // Parked after pivot_root: the host sees the overlay as init's root, and no payload ran.
    const marker = `/proc/${c.initPid}/root/marker`;
    for (let i = 0; i < 200 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(readFileSync(marker, 'utf8'), 'from the image');
    assert.equal(readFileSync(`/proc/${c.initPid}/comm`, 'utf8').trim() === 'true', false, 'the payload ran before the release');
    c.release();
    assert.equal(await waitExit(c.monitorPid), 0);

    fresh();
    const bad = spawnContainer(f.request({ argv: ['true'], binds: [{ source: join(f.dir, 'gone'), target: '/mnt', readonly: true }] }));
    bad.buildRootfs();
    let reported: KernelError | null = null;
    for (let i = 0; i < 200 && !(reported = bad.reportedFailure()); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(reported instanceof KernelError, 'no failure reported before the release');
    assert.equal(reported.syscall, 'stat');
    assert.equal(reported.path, join(f.dir, 'gone'));
    // Peeked, not taken: the release tells the same story.
    assert.throws(() => bad.release(), (e: unknown) => e instanceof KernelError && e.syscall === 'stat');
    await waitExit(bad.monitorPid);
  });

  test('a missing cwd is reported as chdir', async () => {
    fresh();
    const c = spawnContainer(f.request({ cwd: '/no/such/dir' }));
    assert.throws(() => c.release(), (e: unknown) => e instanceof KernelError && e.syscall === 'chdir' && e.path === '/no/such/dir');
    await waitExit(c.monitorPid);
  });

  test('journal stdio fails clearly when journald is absent', { skip: existsSync('/run/systemd/journal/stdout') ? 'journald is here' : false }, async () => {
    fresh();
    const c = spawnContainer(f.request({ stdio: { kind: 'journal', identifier: 'ktest' } }));
    assert.throws(() => c.release(), (e: unknown) =>
      e instanceof KernelError && e.syscall === 'open' && e.what === 'journal' && e.path === '/run/systemd/journal/stdout' && e.errnoName === 'ENOENT');
    await waitExit(c.monitorPid);
  });

  test('abort leaves no processes behind', async () => {
    fresh();
    const c = spawnContainer(f.request({ argv: ['sleep', '100'] }));
    assert.ok(existsSync(`/proc/${c.initPid}`));
    c.abort();
    c.abort(); // twice is fine
    for (let i = 0; i < 100 && !(gone(c.initPid) && gone(c.monitorPid)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(gone(c.monitorPid), 'monitor still exists');
    assert.ok(gone(c.initPid), 'init still exists');
    assert.throws(() => c.release());
  });
});
