import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, isLockBusy, LockError, withLock } from '../../src/kernel/lock.js';
import { ensureNative } from '../host/kernel-fixture.js';

/** The one lock (kernel/lock.ts): modes against modes, the four ways to wait, one error. */

before(() => ensureNative());

function withDir(fn: (path: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsm-lock-'));
    try {
      await fn(join(dir, 'lock'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const busy = (e: unknown): boolean => e instanceof LockError && isLockBusy(e);

test('shared locks coexist; exclusive excludes both ways; the file is 0600', withDir((path) => {
  const a = acquireLock(path, { mode: 'shared' });
  const b = acquireLock(path, { mode: 'shared' });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.throws(() => acquireLock(path), (e: unknown) => busy(e) && /held by another process/.test((e as Error).message));
  a.release();
  b.release();
  const x = acquireLock(path, { mode: 'exclusive' });
  assert.throws(() => acquireLock(path, { mode: 'shared' }), busy);
  x.release();
  acquireLock(path, { mode: 'shared' }).release();
}));

test('poll-sync gives up after its timeout with the lock named; poll-async too, as a rejection', withDir(async (path) => {
  const x = acquireLock(path);
  try {
    const t0 = Date.now();
    assert.throws(() => acquireLock(path, { wait: 'poll-sync', timeoutMs: 60 }), (e: unknown) =>
      busy(e) && (e as LockError).waitedMs === 60 && (e as Error).message === `timed out after 60 ms waiting for the lock ${path}`);
    assert.ok(Date.now() - t0 >= 60, 'it waited');
    await assert.rejects(acquireLock(path, { wait: 'poll-async', mode: 'shared', timeoutMs: 30 }), (e: unknown) => busy(e) && (e as LockError).mode === 'shared');
  } finally {
    x.release();
  }
  // free again: every wait takes it at once
  acquireLock(path, { wait: 'poll-sync', timeoutMs: 60 }).release();
  (await acquireLock(path, { wait: 'poll-async' })).release();
}));

test('poll-async waits for a holder that lets go, without blocking the event loop', withDir(async (path) => {
  const x = acquireLock(path);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  setTimeout(() => x.release(), 80);
  try {
    const got = await acquireLock(path, { wait: 'poll-async' });
    assert.ok(ticks >= 5, `the event loop ran while waiting (${ticks} ticks)`);
    got.release();
  } finally {
    clearInterval(timer);
  }
}));

test('block waits for another process to let go; withLock releases however fn ends', withDir(async (path) => {
  // Another process holds it a moment (flock conflicts across processes as across opens).
  const code = `const {acquireLock}=await import(${JSON.stringify(new URL('../../src/kernel/lock.js', import.meta.url).href)});const l=acquireLock(process.argv[1]);process.stdout.write('held\\n');setTimeout(()=>l.release(),150);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  assert.throws(() => acquireLock(path), busy);
  const t0 = Date.now();
  acquireLock(path, { wait: 'block' }).release();
  assert.ok(Date.now() - t0 >= 50, 'it blocked until the other process let go');
  await new Promise((r) => child.on('close', r));

  await assert.rejects(withLock(path, {}, () => { throw new Error('boom'); }), /boom/);
  assert.equal(await withLock(path, { mode: 'shared' }, () => 7), 7);
  acquireLock(path).release(); // nothing left held
}));
