import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnContainer, waitExit } from '../../src/kernel/index.js';
import { ensureNative, type Fixture, makeFixture, skipReason } from './kernel-fixture.js';

/**
 * Deep images: the store names layers by short links in one directory, and
 * the init stage mounts from there with relative lowerdirs, so 150 layers
 * fit the single page of overlay's mount options (absolute paths under
 * /var/lib/tsmachine/l would stop near 80).
 */
describe('many layers in one overlay', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  const N = 150;
  const links: string[] = [];
  before(() => {
    ensureNative();
    f = makeFixture();
    // Long real directories, short links to them (as image/store.ts makes).
    const layers = join(f.dir, 'layers-with-a-deliberately-long-directory-name-to-show-absolute-paths-would-not-fit');
    const l = join(f.dir, 'l');
    mkdirSync(l);
    // the bottom layer: the fixture's busybox
    symlinkSync(f.lower, join(l, 'base'));
    links.push(join(l, 'base'));
    for (let i = 0; i < N; i++) {
      const d = join(layers, String(i).padStart(64, '0'));
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'top'), String(i));
      writeFileSync(join(d, `only-${i}`), '');
      const link = join(l, i.toString(16).padStart(16, '0'));
      symlinkSync(d, link);
      links.push(link);
    }
  });
  after(() => f.cleanup());

  test(`${N} layers: the top one wins and every layer's own file is there`, async () => {
    const out = join(f.dir, 'out');
    const fd = openSync(out, 'w');
    const inFd = openSync('/dev/null', 'r');
    try {
      const absolute = `lowerdir=${[...links].reverse().join(':')}`;
      assert.ok(absolute.length > 4096, `absolute paths would take ${absolute.length} bytes`);
      const c = spawnContainer(f.request({
        rootfs: { lowerdirs: links, upperdir: f.upper, workdir: f.work, mountpoint: f.mnt },
        argv: ['sh', '-c', 'cat /top; echo; ls / | grep -c only-'],
        stdio: { kind: 'fds', stdin: inFd, stdout: fd, stderr: fd },
      }));
      const exited = waitExit(c.monitorPid);
      c.release();
      assert.equal(await exited, 0, readFileSync(out, 'utf8'));
      assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n'), [String(N - 1), String(N)]);
    } finally {
      closeSync(fd);
      closeSync(inFd);
    }
  });
});
