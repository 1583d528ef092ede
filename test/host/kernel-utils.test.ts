import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, catchesSignal, isLockBusy, kill, KernelError, processStartTime, sdNotify, waitExit } from '../../src/kernel/index.js';
import { spawn } from 'node:child_process';
import { ensureNative } from './kernel-fixture.js';

describe('kernel utilities', () => {
  before(() => ensureNative());

  test('processStartTime reads field 22 and is null for a missing process', () => {
    const t = processStartTime(process.pid);
    assert.ok(t !== null && t > 0);
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    assert.equal(t, Number(fields[19]));
    assert.equal(processStartTime(4_000_000), null);
  });

  test('catchesSignal reads SigCgt: a trap for TERM shows, a plain sleep has none, a missing process is null', async () => {
    const trapping = spawn('sh', ['-c', "trap 'exit 0' TERM; while :; do sleep 1; done"], { stdio: 'ignore' });
    const plain = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      // the shell installs its trap a moment after it starts
      for (let i = 0; i < 100 && catchesSignal(trapping.pid!, 15) !== true; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(catchesSignal(trapping.pid!, 15), true);
      assert.equal(catchesSignal(plain.pid!, 15), false);
      assert.equal(catchesSignal(4_000_000, 15), null);
    } finally {
      trapping.kill('SIGKILL');
      plain.kill('SIGKILL');
    }
  });

  test('kill is false for a missing process', () => {
    assert.equal(kill(4_000_000, 0), false);
    assert.equal(kill(process.pid, 0), true);
  });

  test('acquireLock is exclusive until released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsm-lock-'));
    const path = join(dir, 'lock');
    const a = acquireLock(path);
    assert.throws(() => acquireLock(path), (e: unknown) => isLockBusy(e));
    a.release();
    a.release();
    const b = acquireLock(path, { wait: 'block' });
    b.release();
    rmSync(dir, { recursive: true });
  });

  test('sdNotify is a no-op without NOTIFY_SOCKET and reports a dead socket', () => {
    assert.equal(sdNotify('READY=1', undefined), false);
    assert.throws(() => sdNotify('READY=1', '/nonexistent/notify'), (e: unknown) => e instanceof KernelError && e.errnoName === 'ENOENT');
  });

  test('waitExit of a process that is not our child rejects with ECHILD', async () => {
    await assert.rejects(waitExit(1), (e: unknown) => e instanceof KernelError && e.errnoName === 'ECHILD');
  });

  test('netlink failures are KernelErrors naming the step, as the stages report theirs', async () => {
    const { netnsConfigure, linkDel } = await import('../../src/kernel/netlink.js');
    // No such process: the child cannot open its netns.
    assert.throws(() => netnsConfigure(4_000_000, 'eth0', 0, 0, 0), (e: unknown) =>
      e instanceof KernelError && e.stage === 'netns' && e.syscall === 'open' && e.what === 'netns' && e.errnoName === 'ENOENT' && e.path === 'eth0'
      && /^netns: open netns on eth0 failed: ENOENT/.test(e.message));
    // Our own netns, a link that is not there: the step after lo.
    assert.throws(() => netnsConfigure(process.pid, 'tsm-no-such0', 0, 0, 0), (e: unknown) =>
      e instanceof KernelError && e.syscall === 'getlink' && e.what === 'container end' && e.errnoName === 'ENODEV');
    assert.equal(linkDel('tsm-no-such0'), false);
  });
});
