import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { imageLabel, storeIdsByName } from '../../src/cli/image-label.js';
import { importImage, removeImage } from '../../src/image/index.js';
import { tarBuffer } from '../../src/image/tar/writer.js';
import { cleanup, tempDir, writeOciLayout } from '../unit/image-helpers.js';

/** `status`/`list`: the name a container was created with, and which image it really runs when the name moved on. */

const idA = `sha256:1234abcd5678${'a'.repeat(52)}`;
const idB = `sha256:99887766aabb${'b'.repeat(52)}`;

test('image label: the name alone while it still means the image; with the short id when gone or re-imported', () => {
  assert.equal(imageLabel('httpd', idA, idA), 'httpd');
  assert.equal(imageLabel('httpd', idA, null), 'httpd (sha256:1234abcd5678, name removed)');
  assert.equal(imageLabel('httpd', idA, idB), 'httpd (sha256:1234abcd5678, name now sha256:99887766aabb)');
  assert.equal(imageLabel('httpd', 'builtin:httpd', null), 'httpd', 'built-in images are their name');
  assert.equal(imageLabel('deb', 'dir:/var/lib/machines/deb', null), 'deb');
});

test('storeIdsByName: one listing of the store; a force-removed name is absent', async () => {
  const base = tempDir('label');
  try {
    const store = join(base, 'store');
    writeOciLayout(join(base, 'a'), { layers: [{ tar: await tarBuffer([{ path: 'a', type: 'dir' }]) }] });
    const a = await importImage(join(base, 'a'), { root: store, name: 'app' });
    await importImage(join(base, 'a'), { root: store, name: 'web' });
    assert.deepEqual([...storeIdsByName(store)], [['app', a.id], ['web', a.id]]);
    removeImage('app', { root: store, force: true, inUse: () => ['c1'] });
    const ids = storeIdsByName(store);
    assert.equal(imageLabel('app', a.id, ids.get('app') ?? null), `app (sha256:${a.id.slice(7, 19)}, name removed)`);
    assert.equal(imageLabel('web', a.id, ids.get('web') ?? null), 'web');
  } finally {
    cleanup(base);
  }
});
