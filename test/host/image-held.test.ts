import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { heldImages } from '../../src/image/store/held.js';
import type { ImageRecord } from '../../src/image/store/records.js';
import { importImage, listHeldImages, listImages, removeImage } from '../../src/image/index.js';
import { tarBuffer } from '../../src/image/tar/writer.js';
import { cleanup, tempDir, writeOciLayout } from '../unit/image-helpers.js';

/** `tsmachine images`: images only containers hold (rmi --force, re-import) are listed once, as `<none>`. */

const id = (c: string): string => `sha256:${c.repeat(64)}`;
const config = { entrypoint: [], cmd: ['/bin/sh'], env: [], workingDir: '/' };
const rec = (name: string, i: string, layers: string[], size = 100): ImageRecord => ({
  name, id: i, created: '2026-01-01T00:00:00Z', imported: '2026-01-02T00:00:00Z', size, format: 'oci', config,
  layers: layers.map((l) => ({ diffId: l, size: size / layers.length, link: l.slice(7, 19) })),
});

test('held images: one entry per id, with its users; not when a named image has the id; not for directory images', () => {
  const listed = [rec('app', id('b'), [id('1')])];
  const held = [rec('app', id('a'), [id('1'), id('2')], 300), rec('old', id('c'), [id('3')]), rec('app', id('b'), [id('1')])];
  const out = heldImages(listed, held, [
    { container: 'web2', imageId: id('a'), layers: [id('1'), id('2')] },
    { container: 'web1', imageId: id('a') }, // an older spec: the held record says what it stands on
    { container: 'new', imageId: id('b'), layers: [id('1')] }, // the name means this one: just 'app'
    { container: 'box', imageId: 'builtin:httpd' },
    { container: 'odd', imageId: id('d'), layers: [id('4'), id('5'), id('6')] }, // no record left: its recorded layers
    { container: 'lost', imageId: id('e') }, // neither: holds nothing
  ]);
  assert.deepEqual(out, [
    { id: id('a'), layers: 2, size: 300, created: '2026-01-01T00:00:00Z', heldBy: ['web1', 'web2'] },
    { id: id('d'), layers: 3, size: null, created: null, heldBy: ['odd'] },
  ], 'the held record of c (no container) is not listed');
});

test('store: rmi --force holds the record, listHeldImages returns it, listImages does not', async () => {
  const base = tempDir('held-list');
  try {
    const store = join(base, 'store');
    writeOciLayout(join(base, 'a'), { layers: [{ tar: await tarBuffer([{ path: 'a', type: 'dir' }]) }] });
    const a = await importImage(join(base, 'a'), { root: store, name: 'app' });
    assert.deepEqual(listHeldImages(store), []);
    removeImage('app', { root: store, force: true, inUse: () => ['c1'] });
    assert.deepEqual(listImages(store), []);
    assert.deepEqual(listHeldImages(store).map((r) => r.id), [a.id]);
    assert.deepEqual(heldImages(listImages(store), listHeldImages(store), [{ container: 'c1', imageId: a.id }]).map((h) => [h.id, h.layers, h.size, h.heldBy]),
      [[a.id, 1, a.size, ['c1']]]);
    // Imported again under a new name: the named image, no `<none>` entry.
    await importImage(join(base, 'a'), { root: store, name: 'again' });
    assert.deepEqual(heldImages(listImages(store), listHeldImages(store), [{ container: 'c1', imageId: a.id }]), []);
  } finally {
    cleanup(base);
  }
});
