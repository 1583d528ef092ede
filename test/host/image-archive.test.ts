import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { importImage, inspectImage, resolveStoreImage } from '../../src/image/index.js';
import { ImageError } from '../../src/image/errors.js';
import { layoutMemberName, mayBeLayout, peekMemberNames, PEEK_BYTES } from '../../src/image/archive/peek.js';
import { formatProgress, ttyProgress, type ImportProgress } from '../../src/image/progress.js';
import { tarBuffer } from '../../src/image/tar/writer.js';
import { cleanup, compress, hasTool, listTree, sha, tarDir, tempDir, writeDockerArchive, writeOciLayout } from '../unit/image-helpers.js';

/**
 * Image archives inside gzip/zstd and archives on stdin: told apart from a
 * rootfs by content, imported as the same image as their plain form, and
 * leaving no temp file in the store either way.
 */

const zstd = hasTool('zstd');
const tmpLeft = (store: string): string[] => listTree(join(store, 'tmp'));

async function rootfsTar(tag: string): Promise<Buffer> {
  return tarBuffer([
    { path: 'etc', type: 'dir' },
    { path: 'etc/hostname', type: 'file', body: Buffer.from(`${tag}\n`) },
    { path: 'bin', type: 'dir' },
    { path: 'bin/tool', type: 'file', body: Buffer.alloc(3000, tag) },
  ]);
}

function fileInput(file: string): AsyncIterable<Buffer> {
  return createReadStream(file, { highWaterMark: 1000 }); // small chunks: the magic may straddle them
}

test('member names that can open an OCI layout or docker-archive, and ones that cannot', () => {
  for (const n of ['oci-layout', 'index.json', 'blobs/', 'blobs/sha256/ab', './blobs/sha256/', 'manifest.json', 'repositories',
    `${'a'.repeat(64)}.json`, `${'0'.repeat(64)}.tar`, `${'f'.repeat(64)}/layer.tar`, `./${'1'.repeat(64)}/`]) {
    assert.ok(layoutMemberName(n), n);
  }
  for (const n of ['./', 'etc/', 'bin/sh', 'usr/lib/os-release', 'index.html', `${'a'.repeat(63)}.json`, `${'A'.repeat(64)}.tar`, 'blobsy']) {
    assert.ok(!layoutMemberName(n), n);
  }
});

test('peek: the first members of a gzip or zstd tar, skipping "."; bounded for a rootfs whose first member is big', async () => {
  const base = tempDir('peek');
  try {
    const layout = join(base, 'layout');
    writeOciLayout(layout, { layers: [{ tar: await rootfsTar('a') }] });
    const plain = join(base, 'layout.tar');
    tarDir(layout, plain, { dotSlash: true });
    const blob = (file: string): { file: string; offset: number; size: number; name: string } =>
      ({ file, offset: 0, size: readFileSync(file).length, name: file });
    const gz = compress(plain, 'gzip');
    const names = await peekMemberNames(blob(gz), 'gzip');
    assert.ok(names.length > 0 && names.every((n) => n.startsWith('./') && n !== './'), names.join(' '));
    assert.ok(await mayBeLayout(blob(gz), 'gzip'));
    if (zstd) assert.ok(await mayBeLayout(blob(compress(plain, 'zstd')), 'zstd'));

    // A rootfs that starts with a 4 MB file: the look stops at the window, says rootfs, and did not read it all.
    const big = join(base, 'big.tar');
    writeFileSync(big, await tarBuffer([{ path: 'huge', type: 'file', body: Buffer.alloc(4 * PEEK_BYTES, 7) }, { path: 'manifest.json', type: 'file', body: Buffer.from('[]') }]));
    const bigGz = compress(big, 'gzip');
    assert.deepEqual(await peekMemberNames(blob(bigGz), 'gzip'), ['huge']);
    assert.ok(!(await mayBeLayout(blob(bigGz), 'gzip')));
    const rootGz = join(base, 'root.tar.gz');
    writeFileSync(rootGz, gzipSync(await rootfsTar('r')));
    assert.deepEqual(await peekMemberNames(blob(rootGz), 'gzip'), ['etc/', 'etc/hostname', 'bin/', 'bin/tool']);
  } finally {
    cleanup(base);
  }
});

test('a gzip docker-archive and a zstd OCI archive import as the same image as their plain tars, named by RepoTags', async () => {
  const base = tempDir('carchive');
  try {
    const store = join(base, 'store');
    const layers = [await rootfsTar('one'), await rootfsTar('two')];
    const dockerDir = join(base, 'docker');
    const configDigest = writeDockerArchive(dockerDir, { layers, repoTag: 'registry.example/team/app:1.2' });
    const dockerTar = join(base, 'app.docker.tar');
    tarDir(dockerDir, dockerTar);
    const plain = await importImage(dockerTar, { root: store, name: 'plain' });
    assert.equal(plain.format, 'docker-archive');

    const gz = await importImage(compress(dockerTar, 'gzip'), { root: store });
    assert.equal(gz.name, 'app:1.2', 'the name comes from RepoTags, as for the plain tar');
    assert.equal(gz.format, 'docker-archive');
    assert.equal(gz.id, configDigest);
    assert.deepEqual(gz.layers.map((l) => l.diffId), layers.map((t) => sha(t)));
    assert.deepEqual(tmpLeft(store), [], 'the decompressed copy is gone');

    const ociDir = join(base, 'oci');
    const { configDigest: ociId } = writeOciLayout(ociDir, { layers: layers.map((tar) => ({ tar })), refName: 'v1' });
    const ociTar = join(base, 'app.oci.tar');
    tarDir(ociDir, ociTar, { dotSlash: true });
    const ociFile = zstd ? compress(ociTar, 'zstd') : compress(ociTar, 'gzip');
    const oci = await importImage(`${ociFile}:v1`, { root: store, name: 'oci' });
    assert.equal(oci.format, 'oci');
    assert.equal(oci.id, ociId);
    assert.deepEqual(oci.layers.map((l) => l.diffId), plain.layers.map((l) => l.diffId));
    assert.equal(readFileSync(join(resolveStoreImage('oci', store)!.layers[1]!, 'etc', 'hostname'), 'utf8'), 'two\n');
    assert.deepEqual(tmpLeft(store), []);
  } finally {
    cleanup(base);
  }
});

test('a compressed rootfs whose first member looks like a layout is still a rootfs (judged by its manifests, not its names)', async () => {
  const base = tempDir('fakelayout');
  try {
    const store = join(base, 'store');
    const tar = await tarBuffer([
      { path: 'blobs', type: 'dir' },
      { path: 'blobs/readme', type: 'file', body: Buffer.from('not a layout\n') },
      { path: 'manifest.json', type: 'file', body: Buffer.from('{"not": "docker"}') },
    ]);
    const file = join(base, 'odd.tar.gz');
    writeFileSync(file, gzipSync(tar));
    const rec = await importImage(file, { root: store });
    assert.equal(rec.name, 'odd');
    assert.equal(rec.format, 'rootfs-tar');
    assert.equal(rec.layers[0]!.diffId, sha(tar));
    assert.deepEqual(tmpLeft(store), []);
  } finally {
    cleanup(base);
  }
});

test('stdin: plain, gzip and zstd archives and rootfs tarballs are spooled, imported, and leave no temp file', async () => {
  const base = tempDir('stdin');
  try {
    const store = join(base, 'store');
    const layers = [await rootfsTar('s')];
    const dockerDir = join(base, 'docker');
    writeDockerArchive(dockerDir, { layers, repoTag: 'piped:latest' });
    const dockerTar = join(base, 'd.tar');
    tarDir(dockerDir, dockerTar);

    const a = await importImage('-', { root: store, input: fileInput(dockerTar) });
    assert.equal(a.name, 'piped:latest');
    assert.equal(a.format, 'docker-archive');
    const b = await importImage('-', { root: store, name: 'piped-gz', input: fileInput(compress(dockerTar, 'gzip')) });
    assert.equal(b.id, a.id);
    assert.equal(b.name, 'piped-gz', '--name wins over RepoTags');

    const root = join(base, 'root.tar');
    writeFileSync(root, await rootfsTar('r'));
    const c = await importImage('-', { root: store, name: 'piped-root', input: fileInput(zstd ? compress(root, 'zstd') : compress(root, 'gzip')) });
    assert.equal(c.format, 'rootfs-tar');
    assert.equal(c.layers[0]!.diffId, sha(readFileSync(root)));
    assert.equal(readFileSync(join(resolveStoreImage('piped-root', store)!.layers[0]!, 'etc', 'hostname'), 'utf8'), 'r\n');
    assert.deepEqual(tmpLeft(store), []);

    // Progress while spooling: 'reading' with the bytes so far and no total (a pipe has none).
    const seen: ImportProgress[] = [];
    await importImage('-', { root: store, name: 'piped-progress', input: fileInput(dockerTar), progress: (p) => seen.push(p) });
    const reading = seen.filter((p) => p.state === 'reading');
    assert.ok(reading.length > 1 && reading.every((p) => p.totalBytes === 0));
    assert.equal(reading.at(-1)!.bytes, readFileSync(dockerTar).length);
    assert.equal(seen.at(-1)!.state, 'reused');
    assert.deepEqual(tmpLeft(store), []);
  } finally {
    cleanup(base);
  }
});

test('stdin: an archive that carries no name needs --name; empty input is refused; neither leaves anything', async () => {
  const base = tempDir('stdinname');
  try {
    const store = join(base, 'store');
    const root = join(base, 'root.tar');
    writeFileSync(root, await rootfsTar('r'));
    const ociDir = join(base, 'oci');
    writeOciLayout(ociDir, { layers: [{ tar: await rootfsTar('o') }] });
    const ociTar = join(base, 'oci.tar');
    tarDir(ociDir, ociTar);
    for (const file of [root, ociTar]) {
      await assert.rejects(importImage('-', { root: store, input: fileInput(file) }), (e: unknown) =>
        e instanceof ImageError && e.message === 'the archive on stdin carries no image name; pass --name');
    }
    await assert.rejects(importImage('-', { root: store, name: 'x', input: Readable.from([]) }), /^ImageError: stdin: no data/);
    assert.deepEqual(readdirSync(join(store, 'images')), []);
    assert.deepEqual(tmpLeft(store), []);
    assert.deepEqual(listTree(join(store, 'layers')), ['sha256']);
    assert.throws(() => inspectImage('x', store), ImageError);
  } finally {
    cleanup(base);
  }
});

test('progress lines while reading an archive: with a total for a file, without for a pipe', () => {
  assert.equal(formatProgress({ layer: 0, layers: 0, bytes: 2_500_000, totalBytes: 10_000_000, state: 'reading' }), 'reading archive  2.5 MB / 10.0 MB (25%)');
  assert.equal(formatProgress({ layer: 0, layers: 0, bytes: 2_500_000, totalBytes: 0, state: 'reading' }), 'reading archive  2.5 MB');
  assert.equal(formatProgress({ layer: 2, layers: 3, bytes: 5, totalBytes: 10, state: 'unpacking' }), 'layer 2/3 unpacking  0.0 MB / 0.0 MB (50%)');
});

test('the terminal reporter: nothing when stderr is not a terminal; on one, one redrawn line ended after the last layer, reused or not', () => {
  const fake = (isTTY: boolean): { stream: NodeJS.WriteStream; out: string[] } => {
    const out: string[] = [];
    return { stream: { isTTY, write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WriteStream, out };
  };
  assert.equal(ttyProgress(fake(false).stream), undefined, 'a pipe gets no progress at all');
  const { stream, out } = fake(true);
  const draw = ttyProgress(stream)!;
  draw({ layer: 0, layers: 0, bytes: 10, totalBytes: 0, state: 'reading' });
  draw({ layer: 1, layers: 2, bytes: 5, totalBytes: 10, state: 'done' });
  draw({ layer: 2, layers: 2, bytes: 10, totalBytes: 10, state: 'reused' });
  assert.deepEqual(out, [
    '\r\x1b[Kreading archive  0.0 MB',
    '\r\x1b[Klayer 1/2 done  0.0 MB / 0.0 MB (50%)',
    '\r\x1b[Klayer 2/2 already stored  0.0 MB / 0.0 MB (100%)\n',
  ]);
});
