import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MissingImageError } from '../../src/image/errors.js';
import type { ResolvedImage } from '../../src/image/types.js';
import { validateSpec } from '../../src/config/spec.js';
import { imageOfStored, storedImageOf, type RecordedImageLookup } from '../../src/runtime/stored-image.js';
import type { StoredSpec } from '../../src/state/container.js';

/**
 * Which image an existing container starts from: the one it recorded, never
 * whatever holds its image's name now; older specs fall back by id, then name.
 */

const config = { entrypoint: [], cmd: ['/bin/sh'], env: ['A=1'], workingDir: '/' };
const idA = `sha256:${'a'.repeat(64)}`;
const idB = `sha256:${'b'.repeat(64)}`;
const diff = (c: string): string => `sha256:${c.repeat(64)}`;
const spec = validateSpec('web', { image: 'app' }, { onlineCpus: [0], exists: () => true, deviceKind: () => null });
const storeImage = (id: string, layers: string[]): ResolvedImage =>
  ({ name: 'app', id, layers: layers.map((l) => `/store/l/${l.slice(7, 23)}`), config, source: 'store', diffIds: layers });

/** A store whose name 'app' now means image B; A survives only as layers (and maybe a held record). */
function lookups(opts: { heldA?: boolean; layersGone?: boolean } = {}): { calls: string[]; store: (n: string) => ResolvedImage | null; recorded: RecordedImageLookup } {
  const calls: string[] = [];
  return {
    calls,
    store: (n) => { calls.push(`name ${n}`); return n === 'app' ? storeImage(idB, [diff('1'), diff('3')]) : null; },
    recorded: {
      byLayers(ref) {
        calls.push(`layers ${ref.id}`);
        if (opts.layersGone) throw new MissingImageError(ref.id, ref.layers[1]!, ref.name);
        return { ...storeImage(ref.id, ref.layers), config: ref.config };
      },
      byId(id) {
        calls.push(`id ${id}`);
        return id === idA && opts.heldA ? storeImage(idA, [diff('1'), diff('2')]) : null;
      },
    },
  };
}

const stored = (extra: Partial<StoredSpec> = {}): StoredSpec => ({ spec, created: '2026-01-01T00:00:00Z', imageId: idA, ...extra });

test('a spec with recorded layers starts from them, not from the image that holds the name now', () => {
  const l = lookups();
  const img = imageOfStored(stored({ image: { layers: [diff('1'), diff('2')], config } }), l.store, l.recorded);
  assert.equal(img.id, idA);
  assert.deepEqual(img.diffIds, [diff('1'), diff('2')]);
  assert.deepEqual(img.config, config, 'the config recorded at creation');
  assert.deepEqual(l.calls, [`layers ${idA}`], 'the name is not consulted');
});

test('recorded layers that are gone: a one-line error naming the image id, no fallback to the name', () => {
  const l = lookups({ layersGone: true });
  assert.throws(() => imageOfStored(stored({ image: { layers: [diff('1'), diff('2')], config } }), l.store, l.recorded), (e: unknown) => {
    assert.ok(e instanceof MissingImageError);
    assert.equal(e.image, idA);
    assert.equal(e.message, `image ${idA} (was 'app') is gone: layer ${diff('2')} is missing from the layer store (import the image again, or rm the container)`);
    return true;
  });
  assert.ok(!l.calls.some((c) => c.startsWith('name')));
});

test('an older spec (no recorded layers) finds its image by id, held records included, else by name', () => {
  const held = lookups({ heldA: true });
  assert.equal(imageOfStored(stored(), held.store, held.recorded).id, idA);
  assert.deepEqual(held.calls, [`id ${idA}`]);

  const gone = lookups();
  assert.equal(imageOfStored(stored(), gone.store, gone.recorded).id, idB, 'as before this change: the name');
  assert.deepEqual(gone.calls, [`id ${idA}`, 'name app']);

  // Built-in and /var/lib/machines images have no store id: by name only.
  const dir = lookups();
  assert.throws(() => imageOfStored(stored({ imageId: 'builtin:nothere', spec: { ...spec, image: 'nothere' } }), dir.store, dir.recorded), /no image 'nothere'/);
  assert.deepEqual(dir.calls, ['name nothere']);
});

test('what a container records: layers and config for store images, the id alone for directory images', () => {
  assert.deepEqual(storedImageOf(storeImage(idA, [diff('1')])), { imageId: idA, image: { layers: [diff('1')], config } });
  assert.deepEqual(storedImageOf({ name: 'httpd', id: 'builtin:httpd', layers: ['/x'], config, source: 'builtin' }), { imageId: 'builtin:httpd' });
});
