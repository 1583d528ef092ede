import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, closeSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execInContainer, kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import type { SpawnRequest } from '../../src/kernel/types.js';
import { type Captured, ensureNative, type Fixture, makeFixture, runCaptured, skipReason } from './kernel-fixture.js';

/**
 * --private-users at the kernel level: the payload runs in a user namespace
 * whose 0 is host BASE; the image layer (owned by host root, shared) reads as
 * root's through an idmapped mount; what the payload writes lands in the upper
 * dir with host ids BASE + n; ports below 1024 still bind; exec joins it.
 */
const BASE = 3_000_000;
const SIZE = 65536;
const PROBE = [
  'cat /proc/self/uid_map /proc/self/gid_map | tr -s " "',
  'echo "ids=$(grep -E ^Uid: /proc/self/status | tr -s "\\t " " ")"',
  'echo "bin=$(stat -c %u:%g /bin/busybox)"',
  'echo "root=$(stat -c %u:%g /)"',
  'touch /made-by-root && echo touched',
  'nc -l -p 80 & sleep 0.3; kill $! 2>/dev/null && echo bind80=ok || echo bind80=failed',
].join('; ');

describe('user namespace (--private-users)', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  before(() => {
    ensureNative();
    f = makeFixture();
    writeFileSync(join(f.lower, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    writeFileSync(join(f.lower, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
    // What the runtime does for a new container: its own dirs belong to the range's root.
    for (const d of [f.upper, f.work]) chownSync(d, BASE, BASE);
  });
  after(() => f.cleanup());

  const run = (over: Partial<SpawnRequest>): Promise<Captured> => runCaptured(f, { userns: { base: BASE, size: SIZE }, ...over });

  test('root inside is host BASE; the shared layer reads as root\'s; writes land with host ids; port 80 binds', async () => {
    const r = await run({ argv: ['sh', '-c', PROBE] });
    assert.equal(r.code, 0, r.out);
    const lines = r.out.split('\n');
    assert.ok(lines.includes(` 0 ${BASE} ${SIZE}`) || lines.includes(`0 ${BASE} ${SIZE}`), r.out);
    assert.ok(lines.includes('ids=Uid: 0 0 0 0'), r.out);
    assert.ok(lines.includes('bin=0:0'), `the layer's root-owned busybox reads as 0:0 inside\n${r.out}`);
    assert.ok(lines.includes('root=0:0'), r.out);
    assert.ok(lines.includes('touched'), r.out);
    assert.ok(lines.includes('bind80=ok'), r.out);
    const made = statSync(join(f.upper, 'made-by-root'));
    assert.equal(made.uid, BASE, 'the new file belongs to host BASE');
    assert.equal(statSync(join(f.lower, 'bin/busybox')).uid, 0, 'the layer itself is untouched');
  });

  test('a layer named through a symlink (the store\'s short names) is mapped too', async () => {
    const link = join(f.dir, 'short');
    symlinkSync(f.lower, link);
    const r = await run({ argv: ['sh', '-c', 'stat -c %u:%g /bin/busybox'], rootfs: { lowerdirs: [link], upperdir: f.upper, workdir: f.work, mountpoint: f.mnt } });
    assert.equal(r.out.trim(), '0:0', r.out);
  });

  test('a user of the image is BASE + its uid on the host; it has no capabilities', async () => {
    const r = await run({ argv: ['sh', '-c', 'touch /tmp/x; echo > /home-file 2>/dev/null || echo denied; grep CapEff /proc/self/status; id -u 2>/dev/null; grep -E ^Uid: /proc/self/status'], user: 'app' });
    assert.match(r.out, /^denied$/m, 'app cannot write to the root-owned /');
    assert.match(r.out, /^CapEff:\s+0+$/m);
    assert.match(r.out, /^Uid:\s+1000\s+1000/m);
  });

  test('exec joins the user namespace last and runs as its root', async () => {
    const c = spawnContainer(f.request({ argv: ['sleep', '1000'], userns: { base: BASE, size: SIZE } }));
    c.release();
    const exited = waitExit(c.monitorPid);
    const outPath = join(f.dir, 'exec-out');
    const fd = openSync(outPath, 'w');
    const inFd = openSync('/dev/null', 'r');
    try {
      const e = execInContainer({ leaderPid: c.initPid, argv: ['sh', '-c', 'cat /proc/self/uid_map; touch /by-exec; grep -E ^Uid: /proc/self/status'], env: ['PATH=/bin'], cwd: '/', stdio: { kind: 'fds', stdin: inFd, stdout: fd, stderr: fd } });
      const hostUid = Number(/^Uid:\s+\d+\s+(\d+)/m.exec(readFileSync(`/proc/${e.pid}/status`, 'utf8'))?.[1]);
      e.release();
      assert.equal(await e.wait(), 0, readFileSync(outPath, 'utf8'));
      const out = readFileSync(outPath, 'utf8');
      assert.match(out, new RegExp(`^\\s*0\\s+${BASE}\\s+${SIZE}$`, 'm'));
      assert.match(out, /^Uid:\s+0\s+0/m);
      assert.equal(statSync(join(f.upper, 'by-exec')).uid, BASE);
      assert.equal(hostUid, BASE, 'seen from the host, the parked exec process is already BASE');
    } finally {
      closeSync(fd);
      closeSync(inFd);
      kill(c.initPid, 9);
      await exited;
    }
  });
});
