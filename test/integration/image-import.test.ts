import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { importImage, resolveStoreImage, inspectImage } from '../../src/image/index.js';
import { diskUsage } from '../../src/image/store/layers.js';
import { lowerdirOption } from '../../src/image/store/lowerdir.js';
import { lgetxattr, mknod, S_IFCHR, S_IFIFO } from '../../src/kernel/fsops.js';
import { cleanup, hasTool, listTree, tempDir } from '../unit/image-helpers.js';

/**
 * Images made by independent tools (umoci builds the OCI layout, skopeo
 * converts it to a docker-archive and an oci-archive), imported, stacked as
 * a real overlay mount and compared with `umoci unpack` of the same image.
 * Needs the Debian packages umoci, skopeo and zstd, and root (overlay mounts).
 */
const TOOLS = ['umoci', 'skopeo'];
const missing = TOOLS.filter((t) => !hasTool(t));
const skip = missing.length > 0 ? `needs ${missing.join(', ')} (Debian packages)` : process.getuid?.() !== 0 ? 'needs root' : false;

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function layerCount(store: string): number {
  return readdirSync(join(store, 'layers', 'sha256')).filter((n) => /^[0-9a-f]{64}$/.test(n)).length;
}

/** type, mode, owner, content, link target, device of every path (not the root's times). */
function describe(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listTree(root)) {
    const p = join(root, rel);
    const st = lstatSync(p);
    let what = `${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isFile()) what += ` ${readFileSync(p).toString('base64')}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(p)}`;
    if (st.isCharacterDevice()) what += ` rdev ${st.rdev}`;
    out[rel] = what;
  }
  return out;
}

function mountOverlay(lowers: string[], dir: string): string {
  const m = join(dir, 'merged');
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d), { recursive: true });
  sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerdirOption(lowers)},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, m]);
  return m;
}

function buildFixture(dir: string): void {
  const base = join(dir, 'base');
  for (const d of ['bin', 'etc', 'data', 'dev']) mkdirSync(join(base, d), { recursive: true });
  writeFileSync(join(base, 'bin', 'hello'), '#!/bin/sh\necho hello\n');
  chmodSync(join(base, 'bin', 'hello'), 0o755);
  writeFileSync(join(base, 'bin', 'suid'), 'suid');
  chmodSync(join(base, 'bin', 'suid'), 0o4755);
  writeFileSync(join(base, 'etc', 'conf'), 'conf\n');
  chownSync(join(base, 'etc', 'conf'), 1000, 1000);
  linkSync(join(base, 'etc', 'conf'), join(base, 'etc', 'hard'));
  writeFileSync(join(base, 'etc', 'old'), 'old\n');
  writeFileSync(join(base, 'data', 'a'), 'a');
  writeFileSync(join(base, 'data', 'b'), 'b');
  symlinkSync('etc/conf', join(base, 'link'));
  mknod(join(base, 'dev', 'fifo'), S_IFIFO, 0o644);
  mknod(join(base, 'dev', 'null'), S_IFCHR, 0o666, 1, 3);
  mkdirSync(join(dir, 'newdata'));
  writeFileSync(join(dir, 'newdata', 'c'), 'c');
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', 'o'), 'o');
  const oci = join(dir, 'oci');
  sh('umoci', ['init', '--layout', oci]);
  sh('umoci', ['new', '--image', `${oci}:base`]);
  sh('umoci', ['insert', '--image', `${oci}:base`, base, '/']);
  sh('umoci', ['config', '--image', `${oci}:base`, '--config.entrypoint', '/bin/hello', '--config.cmd', 'arg', '--config.env', 'FOO=bar',
    '--config.workingdir', '/data', '--config.user', '1000:1000', '--config.exposedports', '8080/tcp']);
  sh('umoci', ['insert', '--image', `${oci}:base`, '--tag', 'app', '--whiteout', '/etc/old']);
  sh('umoci', ['insert', '--image', `${oci}:app`, '--opaque', join(dir, 'newdata'), '/data']);
  sh('umoci', ['insert', '--image', `${oci}:app`, join(dir, 'other'), '/other']);
  sh('umoci', ['insert', '--image', `${oci}:base`, '--tag', 'app2', join(dir, 'other'), '/other2']);
  sh('skopeo', ['copy', '-q', `oci:${oci}:app`, `docker-archive:${join(dir, 'app.docker.tar')}:app:latest`]);
  sh('skopeo', ['copy', '-q', `oci:${oci}:app`, `oci-archive:${join(dir, 'app.oci.tar')}`]);
}

test('umoci/skopeo images import in every format and stack as an overlay equal to umoci unpack', { skip }, async () => {
  const dir = tempDir('umoci');
  const mounts: string[] = [];
  try {
    buildFixture(dir);
    const store = join(dir, 'store');
    const fromDir = await importImage(`${join(dir, 'oci')}:app`, { root: store });
    assert.equal(fromDir.name, 'app');
    assert.equal(fromDir.layers.length, 4);
    const fromDocker = await importImage(join(dir, 'app.docker.tar'), { root: store, name: 'app-docker' });
    const fromOciTar = await importImage(join(dir, 'app.oci.tar'), { root: store, name: 'app-ocitar' });
    assert.equal(fromDocker.id, fromDir.id, 'docker-archive and OCI layout are the same image');
    assert.equal(fromOciTar.id, fromDir.id);
    assert.equal(fromDocker.format, 'docker-archive');
    assert.equal(layerCount(store), 4, 'the same layers stored once whatever the format');

    const img = resolveStoreImage('app', store)!;
    assert.deepEqual(img.config, { entrypoint: ['/bin/hello'], cmd: ['arg'], env: ['FOO=bar'], workingDir: '/data', user: '1000:1000', exposedPorts: ['8080/tcp'] });
    const merged = mountOverlay(img.layers, join(dir, 'ovl'));
    mounts.push(merged);
    sh('umoci', ['unpack', '--image', `${join(dir, 'oci')}:app`, join(dir, 'bundle')]);
    const reference = join(dir, 'bundle', 'rootfs');
    assert.deepEqual(describe(merged), describe(reference));
    assert.ok(!existsSync(join(merged, 'etc', 'old')), 'deleted in an upper layer');
    assert.deepEqual(readdirSync(join(merged, 'data')), ['c'], 'opaque dir hides lower content');
    assert.equal(statSync(join(merged, 'bin', 'suid')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(merged, 'etc', 'hard')).ino, lstatSync(join(merged, 'etc', 'conf')).ino);
    assert.equal(lgetxattr(realpathSync(img.layers[2]!) + '/data', 'trusted.overlay.opaque')?.toString(), 'y');
    // The docker-archive's stack is the same directories.
    assert.deepEqual(resolveStoreImage('app-docker', store)!.layers.map((l) => realpathSync(l)), img.layers.map((l) => realpathSync(l)));

    // app2 shares the base layer: importing it adds only its own small layer.
    const before = diskUsage(join(store, 'layers'));
    await importImage(`${join(dir, 'oci')}:app2`, { root: store });
    assert.equal(layerCount(store), 5);
    assert.ok(diskUsage(join(store, 'layers')) - before < 64 * 1024, 'base layer not stored twice');
    assert.equal(inspectImage('app2', store).layers[0]!.diffId, fromDir.layers[0]!.diffId);
  } finally {
    for (const m of mounts) spawnSync('umount', [m]);
    cleanup(dir);
  }
});

test('60 layers mount as one overlay', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async () => {
  const { writeOciLayout } = await import('../unit/image-helpers.js');
  const { tarBuffer } = await import('../../src/image/tar/writer.js');
  const dir = tempDir('deep60');
  const mounts: string[] = [];
  try {
    const layers = [];
    for (let i = 0; i < 60; i++) layers.push({ tar: await tarBuffer([{ path: 'f', type: 'file', body: Buffer.from(String(i)) }, { path: `l${i}`, type: 'file', body: Buffer.from('x') }]) });
    writeOciLayout(join(dir, 'oci'), { layers });
    await importImage(join(dir, 'oci'), { root: join(dir, 'store'), name: 'deep' });
    const merged = mountOverlay(resolveStoreImage('deep', join(dir, 'store'))!.layers, join(dir, 'ovl'));
    mounts.push(merged);
    assert.equal(readFileSync(join(merged, 'f'), 'utf8'), '59', 'top layer wins');
    assert.equal(readdirSync(merged).length, 61);
  } finally {
    for (const m of mounts) spawnSync('umount', [m]);
    cleanup(dir);
  }
});

test('throughput: tsmachine import vs umoci unpack vs skopeo copy of the same multi-layer image', { skip }, async (t) => {
  const dir = tempDir('bench');
  try {
    const oci = join(dir, 'oci');
    sh('umoci', ['init', '--layout', oci]);
    sh('umoci', ['new', '--image', `${oci}:bench`]);
    const nm = join(process.cwd(), 'node_modules');
    const parts = existsSync(nm) ? readdirSync(nm).filter((n) => !n.startsWith('.')).map((n) => join(nm, n)) : [];
    if (parts.length === 0) parts.push('/usr/share/doc');
    for (const [i, p] of parts.entries()) sh('umoci', ['insert', '--no-history', '--image', `${oci}:bench`, p, `/l${i}`]);
    const blobBytes = diskUsage(join(oci, 'blobs'));
    const time = (f: () => unknown): number => { const s = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - s) / 1e9; };
    const s0 = process.hrtime.bigint();
    const rec = await importImage(`${oci}:bench`, { root: join(dir, 'store') });
    const ours = Number(process.hrtime.bigint() - s0) / 1e9;
    const umoci = time(() => sh('umoci', ['unpack', '--image', `${oci}:bench`, join(dir, 'bundle')]));
    const skopeo = time(() => sh('skopeo', ['copy', '-q', `oci:${oci}:bench`, `docker-archive:${join(dir, 'b.tar')}:bench:latest`]));
    const mb = rec.size / 1e6;
    const line = `image: ${rec.layers.length} layers, ${(blobBytes / 1e6).toFixed(1)} MB compressed, ${mb.toFixed(1)} MB unpacked | ` +
      `tsmachine import ${ours.toFixed(2)} s (${(mb / ours).toFixed(0)} MB/s) | umoci unpack ${umoci.toFixed(2)} s (${(mb / umoci).toFixed(0)} MB/s) | ` +
      `skopeo copy oci→docker-archive ${skopeo.toFixed(2)} s (${(mb / skopeo).toFixed(0)} MB/s)`;
    t.diagnostic(line);
    assert.ok(rec.layers.length >= 2);
  } finally {
    cleanup(dir);
  }
});
