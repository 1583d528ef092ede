import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importImage } from '../../src/image/index.js';
import { ImageError } from '../../src/image/errors.js';
import { rawHeader, tarBuffer } from '../../src/image/tar/writer.js';
import { cleanup, compress, hasTool, listTree, pyTar, tarDir, tempDir, writeDockerArchive, writeOciLayout } from '../unit/image-helpers.js';

/**
 * Every hostile or broken input is refused with an ImageError naming the
 * member or blob, and leaves: no image record, no layer, no temp dir, and
 * nothing at all outside the store (the `outside/` canary stays as it was).
 */

interface Env {
  base: string;
  store: string;
  outside: string;
  src: string;
}

function env(): Env {
  const base = tempDir('hostile');
  const e = { base, store: join(base, 'store'), outside: join(base, 'outside'), src: join(base, 'src') };
  mkdirSync(e.outside);
  mkdirSync(e.src);
  writeFileSync(join(e.outside, 'secret'), 'secret\n');
  return e;
}

async function refused(e: Env, source: string, mention: RegExp | string, input?: AsyncIterable<Buffer>): Promise<void> {
  await assert.rejects(importImage(source, { root: e.store, name: 'evil', ...(input ? { input } : {}) }), (err: unknown) => {
    assert.ok(err instanceof ImageError, `not an ImageError: ${String(err)}`);
    assert.equal(err.module, 'image');
    assert.ok(!err.message.includes('\n'), 'one line');
    if (typeof mention === 'string') assert.ok(err.message.includes(mention), `${err.message} should name ${mention}`);
    else assert.match(err.message, mention);
    return true;
  });
  assert.deepEqual(listTree(join(e.store, 'images')), [], 'no image record');
  assert.deepEqual(listTree(join(e.store, 'layers')).filter((p) => p !== 'sha256'), [], 'no layer');
  assert.deepEqual(listTree(join(e.store, 'tmp')), [], 'no temp dir left');
  assert.deepEqual(listTree(e.outside), ['secret'], 'nothing written outside the store');
  assert.equal(statSync(join(e.outside, 'secret')).nlink, 1, 'no hard link to outside files');
  assert.equal(readFileSync(join(e.outside, 'secret'), 'utf8'), 'secret\n');
}

const cases: { name: string; py: (e: Env) => string; mention: string }[] = [
  { name: 'dot-dot path', py: () => `d('etc')\nf('../../../../outside/pwned')`, mention: '../../../../outside/pwned' },
  { name: 'absolute path', py: (e) => `f('${e.outside}/pwned')`, mention: `${'outside'}/pwned` },
  { name: 'symlink climbing out of the layer', py: () => `sym('evil', '../../../../outside')`, mention: "'evil'" },
  { name: 'write through an absolute symlink', py: (e) => `sym('d', '${e.outside}')\nf('d/pwned')`, mention: "'d/pwned'" },
  { name: 'write through a symlink to a dir inside', py: () => `d('real')\nsym('d', 'real')\nf('d/pwned')`, mention: "'d/pwned'" },
  { name: 'dir replaced by a symlink, then written through', py: (e) => `d('a')\nsym('a', '${e.outside}')\nf('a/pwned')`, mention: "'a/pwned'" },
  { name: 'hard link out of the layer', py: () => `hard('h', '../../../../outside/secret')`, mention: "'h'" },
  { name: 'hard link to an absolute path', py: (e) => `hard('h', '${e.outside}/secret')`, mention: "'h'" },
  { name: 'hard link through a symlink', py: (e) => `sym('s', '${e.outside}')\nhard('h', 's/secret')`, mention: "'h'" },
  { name: 'pax long path with ..', py: () => `f('a/' + 'b' * 120 + '/../../../../../../outside/pwned')`, mention: '/outside/pwned' },
  { name: 'hard link to a missing member', py: () => `hard('h', 'nothere')`, mention: "'h'" },
];

for (const c of cases) {
  test(`refused: ${c.name}`, async () => {
    const e = env();
    try {
      const tar = join(e.src, 'evil.tar');
      pyTar(tar, c.py(e));
      await refused(e, tar, c.mention);
    } finally {
      cleanup(e.base);
    }
  });
}

test('refused: GNU long name with ..', async () => {
  const e = env();
  try {
    const tar = join(e.src, 'gnu.tar');
    pyTar(tar, `f('x' * 101 + '/../../../../../outside/pwned')`, 'GNU_FORMAT');
    await refused(e, tar, 'outside/pwned');
  } finally {
    cleanup(e.base);
  }
});

test('refused: truncated and corrupt archives', async () => {
  const e = env();
  try {
    const good = await tarBuffer([
      { path: 'a', type: 'file', body: Buffer.alloc(5000, 1) },
      { path: 'b', type: 'file', body: Buffer.from('b') },
    ]);
    const cut = join(e.src, 'cut.tar');
    writeFileSync(cut, good.subarray(0, 3000));
    await refused(e, cut, "'a'");

    const corrupt = Buffer.from(good);
    corrupt[512 + 5120 + 10] ^= 0x55; // inside b's header name
    const bad = join(e.src, 'bad.tar');
    writeFileSync(bad, corrupt);
    await refused(e, bad, /checksum/);

    const gz = gzipSync(good);
    const tgz = join(e.src, 'cut.tar.gz');
    writeFileSync(tgz, gz.subarray(0, gz.length - 20));
    await refused(e, tgz, 'cut.tar.gz');

    const weird = join(e.src, 'weird.tar');
    writeFileSync(weird, Buffer.concat([rawHeader({ name: 'sparse', flag: 'S' }), Buffer.alloc(1024)]));
    await refused(e, weird, "'sparse'");
  } finally {
    cleanup(e.base);
  }
});

async function okLayer(): Promise<Buffer> {
  return tarBuffer([{ path: 'etc', type: 'dir' }, { path: 'etc/hostname', type: 'file', body: Buffer.from('x\n') }]);
}

test('refused: OCI layout with an unknown media type', async () => {
  const e = env();
  try {
    writeOciLayout(e.src, { layers: [{ tar: await okLayer(), mediaType: 'application/x-evil' }] });
    await refused(e, e.src, 'application/x-evil');
  } finally {
    cleanup(e.base);
  }
});

test('refused: manifest pointing at a missing blob', async () => {
  const e = env();
  try {
    writeOciLayout(e.src, { layers: [{ tar: await okLayer() }], omitLayer: 0 });
    await refused(e, e.src, /missing blob sha256:[0-9a-f]{64}/);
  } finally {
    cleanup(e.base);
  }
});

test('refused: layer blob whose digest does not match', async () => {
  const e = env();
  try {
    writeOciLayout(e.src, { layers: [{ tar: await okLayer(), tamper: true }] });
    await refused(e, e.src, /blob sha256:[0-9a-f]{64}/);
  } finally {
    cleanup(e.base);
  }
});

test('refused: uncompressed content that does not match the diff_id', async () => {
  const e = env();
  try {
    writeOciLayout(e.src, { layers: [{ tar: await okLayer() }], diffIds: [`sha256:${'0'.repeat(64)}`] });
    await refused(e, e.src, `sha256:${'0'.repeat(64)}`);
  } finally {
    cleanup(e.base);
  }
});

test('refused: docker-archive with a missing layer', async () => {
  const e = env();
  try {
    writeFileSync(join(e.src, 'config.json'), JSON.stringify({ rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] } }));
    writeFileSync(join(e.src, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['x:1'], Layers: ['nope/layer.tar'] }]));
    await refused(e, e.src, 'nope/layer.tar');
  } finally {
    cleanup(e.base);
  }
});

/** A docker-archive tar whose one layer is `layer`, compressed as asked. */
async function compressedArchive(e: Env, layer: Buffer, how: 'gzip' | 'zstd', extra?: (dir: string) => void): Promise<string> {
  const dir = join(e.src, 'archive');
  writeDockerArchive(dir, { layers: [layer], repoTag: 'evil:1' });
  extra?.(dir);
  const tar = join(e.src, 'evil.tar');
  tarDir(dir, tar);
  return compress(tar, how);
}

const zstdOr = (how: 'zstd'): 'zstd' | 'gzip' => (hasTool('zstd') ? how : 'gzip');

test('refused: truncated gzip and corrupt zstd image archives, from a file and from stdin', async () => {
  const e = env();
  try {
    const gz = await compressedArchive(e, await okLayer(), 'gzip');
    const whole = readFileSync(gz);
    const cut = join(e.src, 'cut.tar.gz');
    writeFileSync(cut, whole.subarray(0, whole.length - 100));
    await refused(e, cut, /\/cut\.tar\.gz: corrupt gzip data \(unexpected end of file\)$/);
    await refused(e, '-', /^stdin: corrupt gzip data/, createReadStream(cut));

    if (hasTool('zstd')) {
      const zst = await compressedArchive(e, await okLayer(), 'zstd');
      const bad = Buffer.from(readFileSync(zst));
      for (let i = 200; i < 260; i++) bad[i] ^= 0x5a;
      const corrupt = join(e.src, 'bad.tar.zst');
      writeFileSync(corrupt, bad);
      await refused(e, corrupt, /\/bad\.tar\.zst: corrupt zstd data/);
      await refused(e, '-', /^stdin: corrupt zstd data/, createReadStream(corrupt));
      const short = join(e.src, 'short.tar.zst');
      writeFileSync(short, bad.subarray(0, 100));
      await refused(e, short, /\/short\.tar\.zst: corrupt zstd data/);
    }
  } finally {
    cleanup(e.base);
  }
});

test('refused: a compressed docker-archive whose layer climbs out of the store, from a file and from stdin', async () => {
  const e = env();
  try {
    const layer = await tarBuffer([
      { path: 'etc', type: 'dir' },
      { path: '../../../../../../outside/pwned', type: 'file', body: Buffer.from('pwned\n') },
    ]);
    const file = await compressedArchive(e, layer, zstdOr('zstd'));
    await refused(e, file, /layer [0-9a-f]{64}\.tar: tar member '\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/outside\/pwned'/);
    await refused(e, '-', "'../../../../../../outside/pwned'", createReadStream(file));
  } finally {
    cleanup(e.base);
  }
});

test('refused: a compressed archive with a member named outside it, or a manifest pointing outside it', async () => {
  const e = env();
  try {
    // A member of the archive itself named ../… : never extracted, but refused by name all the same.
    const dir = join(e.src, 'archive');
    writeDockerArchive(dir, { layers: [await okLayer()], repoTag: 'evil:1' });
    const tar = join(e.src, 'outer.tar');
    pyTar(tar, `
import os
for n in sorted(os.listdir(${JSON.stringify(dir)})):
    t.add(os.path.join(${JSON.stringify(dir)}, n), arcname=n)
f('../../../outside/pwned', b'pwned')
`);
    await refused(e, compress(tar, 'gzip'), /\/outer\.tar\.gz: tar member '\.\.\/\.\.\/\.\.\/outside\/pwned': '\.\.' in path$/);

    // manifest.json naming a host file (which exists) as a layer: looked up inside the archive only.
    const file = await compressedArchive(e, await okLayer(), 'gzip', (d) => {
      const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
      m[0]!.Layers = [join('..', '..', '..', '..', e.outside, 'secret')];
      writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    });
    await refused(e, file, /^manifest\.json: missing layer (\.\.\/)+.*outside\/secret$/);
  } finally {
    cleanup(e.base);
  }
});
