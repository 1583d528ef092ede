import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync, existsSync, realpathSync, rmSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync, chmodSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  findStoreImageById, importImage, inspectImage, listImages, MissingImageError, pruneLayers, removeImage, resolveRecordedImage, resolveStoreImage, ImageError,
} from '../../src/image/index.js';
import { diskUsage } from '../../src/image/store/layers.js';
import { lowerdirOption, LOWERDIR_BUDGET } from '../../src/image/store/lowerdir.js';
import { lgetxattr, lsetxattr, mknod, S_IFCHR, S_IFIFO } from '../../src/kernel/fsops.js';
import { tarBuffer, type WriteEntry } from '../../src/image/tar/writer.js';
import { cleanup, hasTool, listTree, pyTar, sha, tempDir, writeOciLayout } from '../unit/image-helpers.js';

const STORE_JS = new URL('../../src/image/index.js', import.meta.url).href;

function layerDirs(store: string): string[] {
  try {
    return readdirSync(join(store, 'layers', 'sha256')).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    return [];
  }
}

/** What matters of a tree for equality: type, mode, owner, size/content, link target, device, xattrs. */
function describe(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of ['', ...listTree(root)]) {
    const p = rel ? join(root, rel) : root;
    const st = lstatSync(p);
    let what = `${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isFile()) what += ` ${readFileSync(p).toString('base64').slice(0, 40)} ${st.size} ${Math.floor(st.mtimeMs / 1000)}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(p)}`;
    if (st.isCharacterDevice() || st.isBlockDevice()) what += ` rdev ${st.rdev}`;
    if (st.isDirectory() && rel !== '') what += ` ${Math.floor(st.mtimeMs / 1000)}`;
    const x = st.isSymbolicLink() ? null : lgetxattr(p, 'user.tsm');
    if (x) what += ` xattr ${x.toString()}`;
    out[rel || '.'] = what;
  }
  return out;
}

test('a rootfs directory round-trips: modes, setuid, owners, links, devices, fifos, xattrs, mtimes', async () => {
  const base = tempDir('dirimport');
  try {
    const src = join(base, 'rootfs');
    mkdirSync(join(src, 'usr', 'bin'), { recursive: true });
    mkdirSync(join(src, 'etc'));
    mkdirSync(join(src, 'private'), { mode: 0o700 });
    writeFileSync(join(src, 'usr', 'bin', 'tool'), 'tool');
    chmodSync(join(src, 'usr', 'bin', 'tool'), 0o4755);
    writeFileSync(join(src, 'etc', 'owned'), 'owned');
    chownSync(join(src, 'etc', 'owned'), 1000, 1001);
    linkSync(join(src, 'etc', 'owned'), join(src, 'etc', 'hard'));
    symlinkSync('/usr/bin/tool', join(src, 'abs-link'));
    symlinkSync('usr/bin', join(src, 'rel-link'));
    mknod(join(src, 'etc', 'null'), S_IFCHR, 0o666, 1, 3);
    mknod(join(src, 'etc', 'fifo'), S_IFIFO, 0o600);
    lsetxattr(join(src, 'etc', 'owned'), 'user.tsm', Buffer.from('attr'));
    writeFileSync(join(src, 'big'), randomBytes(300_000));
    utimesSync(join(src, 'etc'), 1_000_000, 1_000_000);

    const rec = await importImage(src, { root: join(base, 'store'), name: 'dirimg' });
    assert.equal(rec.format, 'rootfs-dir');
    assert.equal(rec.layers.length, 1);
    const img = resolveStoreImage('dirimg', join(base, 'store'));
    assert.ok(img);
    assert.equal(img.source, 'store');
    const layer = realpathSync(img.layers[0]!);
    assert.deepEqual(describe(layer), describe(src));
    assert.equal(lstatSync(join(layer, 'etc', 'owned')).ino, lstatSync(join(layer, 'etc', 'hard')).ino, 'hard link kept');
    // Same tree again: same layer, same id.
    const again = await importImage(src, { root: join(base, 'store'), name: 'dirimg2' });
    assert.equal(again.id, rec.id);
    assert.equal(layerDirs(join(base, 'store')).length, 1);
  } finally {
    cleanup(base);
  }
});

test('plain, gzip and zstd rootfs tarballs (pax and GNU long names, xattrs) give the same layer', async () => {
  const base = tempDir('tarimport');
  try {
    const store = join(base, 'store');
    const long = `d/${'n'.repeat(150)}`;
    const plain = join(base, 'root.tar');
    pyTar(plain, `
d('d')
f('${long}', b'long name')
ti = tarfile.TarInfo('d/x'); ti.size = 2; ti.pax_headers = {'SCHILY.xattr.user.tsm': 'pax'}; add(ti, b'xx')
sym('d/longlink', '${'t'.repeat(140)}')
f('bin/suid', b'#!', mode=0o4755)
`);
    const gnu = join(base, 'gnu.tar');
    pyTar(gnu, `d('d')\nf('${long}', b'long name')\nsym('d/longlink', '${'t'.repeat(140)}')`, 'GNU_FORMAT');
    writeFileSync(join(base, 'root.tar.gz'), gzipSync(readFileSync(plain)));
    const a = await importImage(plain, { root: store, name: 'plain' });
    const b = await importImage(join(base, 'root.tar.gz'), { root: store, name: 'gz' });
    assert.equal(a.layers[0]!.diffId, sha(readFileSync(plain)));
    assert.equal(b.layers[0]!.diffId, a.layers[0]!.diffId);
    if (hasTool('zstd')) {
      spawnSync('zstd', ['-q', plain, '-o', join(base, 'root.tar.zst')]);
      const c = await importImage(join(base, 'root.tar.zst'), { root: store, name: 'zst' });
      assert.equal(c.layers[0]!.diffId, a.layers[0]!.diffId);
    }
    assert.equal(layerDirs(store).length, 1);
    const layer = resolveStoreImage('plain', store)!.layers[0]!;
    assert.equal(readFileSync(join(layer, long), 'utf8'), 'long name');
    assert.equal(lgetxattr(join(layer, 'd', 'x'), 'user.tsm')?.toString(), 'pax');
    assert.equal(readlinkSync(join(layer, 'd', 'longlink')), 't'.repeat(140));
    assert.equal(lstatSync(join(layer, 'bin', 'suid')).mode & 0o7777, 0o4755);
    await importImage(gnu, { root: store, name: 'gnu' });
    const g = resolveStoreImage('gnu', store)!.layers[0]!;
    assert.equal(readFileSync(join(g, long), 'utf8'), 'long name');
    assert.equal(readlinkSync(join(g, 'd', 'longlink')), 't'.repeat(140));
  } finally {
    cleanup(base);
  }
});

test('OCI whiteouts become overlay whiteouts and opaque dirs; config becomes the defaults', async () => {
  const base = tempDir('whiteout');
  try {
    const lower = await tarBuffer([
      { path: 'etc', type: 'dir' }, { path: 'etc/old', type: 'file', body: Buffer.from('old') },
      { path: 'data', type: 'dir' }, { path: 'data/a', type: 'file', body: Buffer.from('a') },
    ]);
    const upper = await tarBuffer([
      { path: 'etc/.wh.old', type: 'file' },
      { path: 'data/.wh..wh..opq', type: 'file' },
      { path: 'data', type: 'dir' }, { path: 'data/c', type: 'file', body: Buffer.from('c') },
      { path: 'etc/.wh..wh.plnk', type: 'file' },
    ]);
    const src = join(base, 'oci');
    writeOciLayout(src, {
      layers: [{ tar: lower }, { tar: upper }], refName: 'wh',
      config: { config: { Entrypoint: ['/bin/app'], Cmd: ['-x'], Env: ['A=1'], WorkingDir: '/srv', User: '7', ExposedPorts: { '80/tcp': {} } } },
    });
    const rec = await importImage(src, { root: join(base, 'store') });
    assert.equal(rec.name, 'wh');
    const img = resolveStoreImage('wh', join(base, 'store'))!;
    assert.deepEqual(img.config, { entrypoint: ['/bin/app'], cmd: ['-x'], env: ['A=1'], workingDir: '/srv', user: '7', exposedPorts: ['80/tcp'] });
    const top = img.layers[1]!;
    const wh = lstatSync(join(top, 'etc', 'old'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal(lgetxattr(join(top, 'data'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.ok(!existsSync(join(top, 'etc', '.wh..wh.plnk')));
    assert.deepEqual(listTree(top), ['data', 'data/c', 'etc', 'etc/old']);
  } finally {
    cleanup(base);
  }
});

async function layer(tag: string, bytes: number): Promise<Buffer> {
  const entries: WriteEntry[] = [{ path: tag, type: 'dir' }, { path: `${tag}/blob`, type: 'file', body: randomBytes(bytes) }];
  return tarBuffer(entries);
}

test('rmi --force and re-import of an image in use: prune keeps the layers while a container\'s image id names them', async () => {
  const base = tempDir('held');
  try {
    const store = join(base, 'store');
    writeOciLayout(join(base, 'a'), { layers: [{ tar: await layer('a0', 1000) }, { tar: await layer('a1', 1000) }] });
    writeOciLayout(join(base, 'b'), { layers: [{ tar: await layer('b0', 1000) }] });
    const a = await importImage(join(base, 'a'), { root: store, name: 'app' });
    assert.throws(() => removeImage('app', { root: store, inUse: () => ['c1', 'c2'] }), /^ImageError: image 'app' \(sha256:[0-9a-f]{64}\) is used by containers c1, c2 /);
    removeImage('app', { root: store, force: true, inUse: () => ['c1'] });
    assert.deepEqual(listImages(store), [], 'a held record is not listed');
    assert.equal(resolveStoreImage('app', store), null);
    assert.deepEqual(pruneLayers({ root: store, keepImages: [a.id] }).removed, [], 'c1 still stands on both layers');
    assert.equal(layerDirs(store).length, 2);

    // Re-importing another image under the name holds the one it replaces.
    await importImage(join(base, 'a'), { root: store, name: 'app' });
    const b = await importImage(join(base, 'b'), { root: store, name: 'app' });
    assert.deepEqual(listImages(store).map((r) => r.id), [b.id]);
    assert.deepEqual(pruneLayers({ root: store, keepImages: [a.id, b.id] }).removed, []);
    assert.equal(layerDirs(store).length, 3);

    // Once no container names the id, the held record and its layers go.
    assert.equal(pruneLayers({ root: store, keepImages: [b.id] }).removed.length, 2);
    assert.deepEqual(layerDirs(store), [hexOfDiff(inspectImage('app', store).layers[0]!.diffId)]);
    assert.deepEqual(readdirSync(join(store, 'images', '.held')), []);
    // Without an in-use answer rmi does not hold anything.
    removeImage('app', { root: store });
    assert.equal(pruneLayers({ root: store, keepImages: [b.id] }).removed.length, 1);
  } finally {
    cleanup(base);
  }
});

const hexOfDiff = (d: string): string => d.replace(/^sha256:/, '');

test('a container\'s recorded layers: it resolves from them after rmi --force and a re-import, prune keeps them, a layer removed by hand is a MissingImageError', async () => {
  const base = tempDir('recorded');
  try {
    const store = join(base, 'store');
    writeOciLayout(join(base, 'a'), { layers: [{ tar: await layer('a0', 1000) }, { tar: await layer('a1', 1000) }] });
    writeOciLayout(join(base, 'b'), { layers: [{ tar: await layer('b0', 1000) }] });
    const a = await importImage(join(base, 'a'), { root: store, name: 'app' });
    const atCreation = resolveStoreImage('app', store)!;
    assert.deepEqual(atCreation.diffIds, a.layers.map((l) => l.diffId), 'what a container records');
    const ref = { id: a.id, name: 'app', layers: atCreation.diffIds!, config: atCreation.config };

    removeImage('app', { root: store, force: true, inUse: () => ['c1'] });
    await importImage(join(base, 'b'), { root: store, name: 'app' });
    assert.notEqual(resolveStoreImage('app', store)!.id, a.id, 'the name means another image now');
    const again = resolveRecordedImage(ref, store);
    assert.deepEqual(again.layers, atCreation.layers, 'the same lowerdirs as at creation');
    assert.equal(findStoreImageById(a.id, store)?.id, a.id, 'the held record answers by id');

    // prune with the container's recorded layers keeps them even once no record (held or listed) names them.
    assert.deepEqual(pruneLayers({ root: store, keep: ref.layers }).removed, []);
    assert.equal(findStoreImageById(a.id, store), null, 'the held record went (no keepImages)');
    assert.ok(resolveRecordedImage(ref, store).layers.every((l) => existsSync(join(l, '.'))));
    rmSync(join(store, 'l'), { recursive: true });
    assert.equal(resolveRecordedImage(ref, store).layers.length, 2, 'missing l/ links are made again');

    // Gone for real: one line naming the image id.
    rmSync(join(store, 'layers', 'sha256', hexOfDiff(ref.layers[1]!)), { recursive: true });
    assert.throws(() => resolveRecordedImage(ref, store), (e: unknown) =>
      e instanceof MissingImageError && e.image === a.id && !e.message.includes('\n') && e.message.includes(a.id) && e.message.includes(ref.layers[1]!));
  } finally {
    cleanup(base);
  }
});

test('images sharing a base layer store it once; rmi refuses in-use images; prune frees only unreferenced layers', async () => {
  const base = tempDir('share');
  try {
    const store = join(base, 'store');
    const common = await layer('base', 2_000_000);
    writeOciLayout(join(base, 'a'), { layers: [{ tar: common }, { tar: await layer('a', 100_000) }] });
    writeOciLayout(join(base, 'b'), { layers: [{ tar: common }, { tar: await layer('b', 100_000) }] });
    await importImage(join(base, 'a'), { root: store, name: 'a' });
    const afterA = diskUsage(join(store, 'layers'));
    await importImage(join(base, 'b'), { root: store, name: 'b' });
    const afterB = diskUsage(join(store, 'layers'));
    assert.equal(layerDirs(store).length, 3);
    // b added only its own ~100 kB, not another copy of the 2 MB base.
    assert.ok(afterB - afterA < 500_000, `second image grew the store by ${afterB - afterA} bytes`);
    assert.deepEqual(listImages(store).map((r) => r.name), ['a', 'b']);
    assert.equal(inspectImage('a', store).layers[0]!.diffId, inspectImage('b', store).layers[0]!.diffId);

    const idA = inspectImage('a', store).id;
    assert.throws(() => removeImage('a', { root: store, inUse: (id) => id === idA }), /used by a container/);
    assert.ok(inspectImage('a', store));
    removeImage('a', { root: store, force: true, inUse: (id) => id === idA });
    assert.throws(() => inspectImage('a', store), ImageError);
    assert.equal(resolveStoreImage('a', store), null);

    const pruned = pruneLayers({ root: store });
    assert.equal(pruned.removed.length, 1);
    assert.ok(pruned.freedBytes >= 100_000, `${pruned.freedBytes}`);
    assert.equal(layerDirs(store).length, 2);
    assert.ok(resolveStoreImage('b', store)!.layers.every((l) => existsSync(join(l, '.'))));
    removeImage('b', { root: store });
    const all = pruneLayers({ root: store });
    assert.equal(all.removed.length, 2);
    assert.deepEqual(layerDirs(store), []);
    assert.deepEqual(listTree(join(store, 'l')), []);
  } finally {
    cleanup(base);
  }
});

function importInChild(source: string, store: string, name: string): { child: ReturnType<typeof spawn>; done: Promise<number | null> } {
  const code = `import(${JSON.stringify(STORE_JS)}).then((m) => m.importImage(${JSON.stringify(source)}, { root: ${JSON.stringify(store)}, name: ${JSON.stringify(name)} })).catch((e) => { console.error(e.message); process.exit(3); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  return { child, done: new Promise((r) => child.on('close', (c) => r(c))) };
}

test('concurrent imports in separate processes share a layer without corrupting it', async () => {
  const base = tempDir('concurrent');
  try {
    const store = join(base, 'store');
    const common = await layer('base', 8_000_000);
    const names = ['c1', 'c2', 'c3', 'c4'];
    for (const n of names) writeOciLayout(join(base, n), { layers: [{ tar: common, gzip: false }, { tar: await layer(n, 1000) }] });
    const codes = await Promise.all(names.map((n) => importInChild(join(base, n), store, n).done));
    assert.deepEqual(codes, [0, 0, 0, 0]);
    assert.equal(layerDirs(store).length, 5);
    const blob = readFileSync(join(resolveStoreImage('c1', store)!.layers[0]!, 'base', 'blob'));
    assert.equal(sha(blob), sha(common.subarray(1024, 1024 + 8_000_000)));
    assert.deepEqual(listTree(join(store, 'tmp')), []);
  } finally {
    cleanup(base);
  }
});

test('kill -9 during an import leaves no visible image or layer; the next import cleans up and works', async () => {
  const base = tempDir('kill');
  try {
    const store = join(base, 'store');
    const big = await layer('big', 64_000_000);
    writeOciLayout(join(base, 'img'), { layers: [{ tar: big }] });
    const { child, done } = importInChild(join(base, 'img'), store, 'big');
    // Wait until it is unpacking (its temp dir has content), then kill it hard.
    for (let i = 0; i < 600 && listTree(join(store, 'tmp')).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(listTree(join(store, 'tmp')).length >= 3, 'import got going');
    child.kill('SIGKILL');
    await done;
    assert.deepEqual(listImages(store), []);
    assert.deepEqual(layerDirs(store), []);
    assert.notDeepEqual(listTree(join(store, 'tmp')), [], 'debris is there until the next run');
    const rec = await importImage(join(base, 'img'), { root: store, name: 'big' });
    assert.equal(rec.layers.length, 1);
    assert.deepEqual(listTree(join(store, 'tmp')), []);
    assert.equal(layerDirs(store).length, 1);
  } finally {
    cleanup(base);
  }
});

test('a 60-layer image resolves to lowerdirs that fit one page of mount options', async () => {
  const base = tempDir('deep');
  try {
    const store = join(base, 'store');
    const layers = [];
    for (let i = 0; i < 60; i++) layers.push({ tar: await tarBuffer([{ path: `l${i}`, type: 'file', body: Buffer.from(String(i)) }]) });
    writeOciLayout(join(base, 'deep'), { layers });
    await importImage(join(base, 'deep'), { root: store, name: 'deep' });
    const img = resolveStoreImage('deep', store)!;
    assert.equal(img.layers.length, 60);
    const opt = `lowerdir=${lowerdirOption(img.layers)}`;
    assert.ok(opt.length <= LOWERDIR_BUDGET, `${opt.length}`);
    // Under the real STATE_DIR the links are /var/lib/tsmachine/l/<16 hex>: 38 bytes a layer.
    const real = img.layers.map((l) => `/var/lib/tsmachine/l/${l.split('/').pop()}`);
    assert.ok(`lowerdir=${real.join(':')}`.length < 2400);
    for (const [i, l] of img.layers.entries()) assert.equal(readFileSync(join(l, `l${i}`), 'utf8'), String(i));
  } finally {
    cleanup(base);
  }
});
