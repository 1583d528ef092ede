import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/basic/atomic-file.js';

test('writeFileAtomic replaces a file whole, with its mode, and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-atomic-'));
  try {
    const path = join(dir, 'a.json');
    writeFileSync(path, 'old');
    writeFileAtomic(path, 'new', { mode: 0o600 });
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    writeFileAtomic(join(dir, 'b'), 'x', { durable: false });
    assert.equal(statSync(join(dir, 'b')).mode & 0o777, 0o644 & ~process.umask());
    assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'b']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write throws Node\'s error and removes its temporary file; the old file stays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-atomic-'));
  try {
    const path = join(dir, 'taken');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), '');
    assert.throws(() => writeFileAtomic(path, 'data'), (e: unknown) => ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? ''));
    assert.deepEqual(readdirSync(dir), ['taken']);
    assert.throws(() => writeFileAtomic(join(dir, 'missing', 'f'), 'x'), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
