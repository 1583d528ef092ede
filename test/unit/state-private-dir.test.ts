import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importImage } from '../../src/image/import.js';
import { resolveStoreImage } from '../../src/image/index.js';
import { ensurePrivateRoot, forgetCheckedRoots, mkdirPrivate } from '../../src/state/private-dir.js';
import { cleanup, tempDir } from './image-helpers.js';

/**
 * STATE_DIR is 0700 whichever command makes it first, and an older 0755 one
 * is tightened (state/private-dir.ts; moby CVE-2021-41091). Every store
 * directory an import makes is private too; the layers inside keep the
 * image's modes.
 */

const mode = (p: string): number => statSync(p).mode & 0o7777;

/** Runs fn with umask 0, so a mode that is right only because of the umask shows. */
function withUmask0<T>(fn: () => T): T {
  const old = process.umask(0);
  try { return fn(); } finally { process.umask(old); }
}

test('a missing root is made 0700 (and its missing parents), even under umask 0', () => {
  const base = tempDir('priv');
  try {
    const root = join(base, 'a', 'tsmachine');
    withUmask0(() => mkdirPrivate(join(root, 'containers', 'x')));
    assert.equal(mode(root), 0o700);
    assert.equal(mode(join(base, 'a')), 0o700);
    assert.equal(mode(join(root, 'containers')), 0o700);
    assert.equal(mode(join(root, 'containers', 'x')), 0o700);
  } finally {
    cleanup(base);
  }
});

test('an existing root with group or other access is tightened to 0700, once per process', () => {
  const base = tempDir('priv');
  try {
    for (const [i, before] of [0o755, 0o750, 0o701, 0o2775].entries()) {
      const root = join(base, `r${i}`);
      mkdirSync(root);
      chmodSync(root, before);
      writeFileSync(join(root, 'keep'), 'data');
      ensurePrivateRoot(root);
      assert.equal(mode(root), 0o700, `from ${before.toString(8)}`);
      assert.equal(readdirSync(root).join(), 'keep', 'only the mode changes');
      // Checked once: the same process does not stat it again (the cost of a start is one stat).
      chmodSync(root, 0o755);
      ensurePrivateRoot(root);
      assert.equal(mode(root), 0o755);
      forgetCheckedRoots();
      ensurePrivateRoot(root);
      assert.equal(mode(root), 0o700);
    }
    // Already private: left alone (0700 stays, a stricter 0500 is not loosened).
    const strict = join(base, 'strict');
    mkdirSync(strict, 0o500);
    chmodSync(strict, 0o500);
    ensurePrivateRoot(strict);
    assert.equal(mode(strict), 0o500);
  } finally {
    cleanup(base);
  }
});

test('an import into a fresh root makes the root and every store directory 0700; layer contents keep their modes', async () => {
  const base = tempDir('priv');
  try {
    const src = join(base, 'src');
    mkdirSync(join(src, 'usr', 'bin'), { recursive: true });
    writeFileSync(join(src, 'usr', 'bin', 'tool'), '#!/bin/sh\n');
    chmodSync(join(src, 'usr', 'bin', 'tool'), 0o4755);
    chmodSync(join(src, 'usr'), 0o755);
    const root = join(base, 'store');
    await withUmask0(() => importImage(src, { root, name: 'privimg' }));
    assert.equal(mode(root), 0o700, 'the store root');
    for (const d of ['layers', 'layers/sha256', 'l', 'images', 'tmp', 'locks']) assert.equal(mode(join(root, d)), 0o700, d);
    const layer = realpathSync(resolveStoreImage('privimg', root)!.layers[0]!);
    assert.equal(mode(join(layer, 'usr', 'bin', 'tool')), 0o4755, 'the setuid bit is the image\'s, kept');
    assert.equal(mode(join(layer, 'usr')), 0o755);
  } finally {
    cleanup(base);
  }
});

test('an import into an old 0755 root tightens it', async () => {
  const base = tempDir('priv');
  try {
    const src = join(base, 'src');
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc', 'f'), 'x');
    const root = join(base, 'old');
    mkdirSync(root, 0o755);
    chmodSync(root, 0o755);
    await importImage(src, { root, name: 'old' });
    assert.equal(mode(root), 0o700);
  } finally {
    cleanup(base);
  }
});

test('createContainerDirs under TSMACHINE_STATE_DIR: a fresh root is 0700, an old 0755 one is tightened', () => {
  const base = tempDir('priv');
  try {
    const layout = new URL('../../src/runtime/container-dirs.js', import.meta.url).href;
    const script = `import(${JSON.stringify(layout)}).then((m) => { process.umask(0); m.createContainerDirs('c1'); })`;
    for (const pre of [null, 0o755]) {
      const root = join(base, pre === null ? 'fresh' : 'old');
      if (pre !== null) { mkdirSync(root); chmodSync(root, pre); }
      execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TSMACHINE_STATE_DIR: root, TSMACHINE_RUN_DIR: join(base, 'run') } });
      assert.equal(mode(root), 0o700, pre === null ? 'fresh' : 'tightened');
      assert.equal(mode(join(root, 'containers')), 0o700);
      assert.equal(mode(join(root, 'containers', 'c1')), 0o700);
      // The upper dir's root is the container's "/": its mode is the container's business.
      assert.equal(mode(join(root, 'containers', 'c1', 'upper')), 0o755);
    }
  } finally {
    cleanup(base);
  }
});
