import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execInContainer, KernelError } from '../../src/kernel/index.js';
import type { ParkedContainer } from '../../src/kernel/types.js';
import { ensureNative, type Fixture, makeFixture, skipReason, sleepingContainer } from './kernel-fixture.js';

describe('execInContainer', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  let c: ParkedContainer;
  let running: ReturnType<typeof sleepingContainer>;
  before(() => {
    ensureNative();
    f = makeFixture();
    running = sleepingContainer(f, { hostname: 'inside' });
    c = running.container;
  });
  after(async () => {
    await running.stop();
    f.cleanup();
  });

  test('joins hostname, PID and mount namespaces and returns the exit status', async () => {
    // Output goes to a file in the container's overlay: stdio is the CLI's own.
    const script = 'hostname > /root/exec.out; echo pid=$$ >> /root/exec.out; echo one=$(cat /proc/1/comm) >> /root/exec.out; exit 3';
    const e = execInContainer({ leaderPid: c.initPid, argv: ['sh', '-c', script], env: ['PATH=/bin'], cwd: '/root' });
    assert.ok(e.pid > 1);
    assert.ok(readFileSync(`/proc/${e.pid}/status`, 'utf8').length > 0, 'parked process exists before release');
    e.release();
    assert.equal(await e.wait(), 3);
    const out = readFileSync(join(f.upper, 'root/exec.out'), 'utf8').split('\n');
    assert.equal(out[0], 'inside');
    const pid = Number(out[1]?.slice(4));
    assert.ok(pid > 1 && pid < 100, `pid in the container's namespace, got ${out[1]}`);
    assert.equal(out[2], 'one=sleep');
  });

  test('a missing command throws KernelError and the stage exits 127', async () => {
    const e = execInContainer({ leaderPid: c.initPid, argv: ['nope'], env: ['PATH=/bin'], cwd: '/' });
    assert.throws(() => e.release(), (err: unknown) => err instanceof KernelError && err.stage === 'exec' && err.syscall === 'execve' && err.errnoName === 'ENOENT');
    assert.equal(await e.wait(), 127);
  });

  test('abort kills the parked process', async () => {
    const e = execInContainer({ leaderPid: c.initPid, argv: ['true'], env: [], cwd: '/' });
    e.abort();
    assert.equal(await e.wait(), 137);
  });

  test('a leader that does not exist is reported', () => {
    assert.throws(() => execInContainer({ leaderPid: 4_000_000, argv: ['true'], env: [], cwd: '/' }), KernelError);
  });
});
