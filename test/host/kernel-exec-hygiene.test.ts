import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execInContainer, KernelError } from '../../src/kernel/index.js';
import type { ParkedContainer } from '../../src/kernel/types.js';
import { ensureNative, execCaptured, type Fixture, makeFixture, skipReason, sleepingContainer } from './kernel-fixture.js';

/**
 * exec's hygiene towards the container it enters (native/src/exec.c,
 * user.c): its own session, and the container's /etc files read without
 * letting the container block it.
 */
describe('exec hygiene', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  let c: ParkedContainer;
  let running: ReturnType<typeof sleepingContainer>;
  before(() => {
    ensureNative();
    f = makeFixture();
    writeFileSync(join(f.lower, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n');
    writeFileSync(join(f.lower, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    running = sleepingContainer(f);
    c = running.container;
  });
  after(async () => {
    await running.stop();
    f.cleanup();
  });

  test('the payload leads a session of its own: the caller\'s terminal cannot be its controlling one', async () => {
    // pid comm state ppid pgrp session tty_nr … of the shell itself
    const r = await execCaptured(f, { leaderPid: c.initPid, argv: ['sh', '-c', 'read -r p c s pp pg sid tty rest < /proc/self/stat; echo "$$ $sid $pg $tty"'], env: ['PATH=/bin'], cwd: '/' });
    assert.equal(r.code, 0, r.out);
    const [pid, sid, pgrp, tty] = r.out.trim().split(' ');
    assert.equal(sid, pid, `session leader (setsid): ${r.out}`);
    assert.equal(pgrp, pid);
    assert.equal(tty, '0', 'no controlling terminal');
  });

  test('the user database works as a regular file (the positive case)', async () => {
    const r = await execCaptured(f, { leaderPid: c.initPid, argv: ['sh', '-c', 'grep -E "^(Uid|Gid):" /proc/self/status'], env: ['PATH=/bin'], cwd: '/', user: 'nobody:nogroup' });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^Uid:\s+65534\s/m);
    assert.match(r.out, /^Gid:\s+65534\s/m);
  });

  for (const file of ['passwd', 'group'] as const) {
    test(`a FIFO at /etc/${file} fails exec -u at once with one line, instead of blocking in open`, { timeout: 20_000 }, async () => {
      // made from inside: the overlay does not see changes behind its back in the upper dir
      const inside = async (script: string): Promise<void> => {
        const r = await execCaptured(f, { leaderPid: c.initPid, argv: ['sh', '-c', script], env: ['PATH=/bin'], cwd: '/' });
        assert.equal(r.code, 0, r.out);
      };
      const saved = (await execCaptured(f, { leaderPid: c.initPid, argv: ['cat', `/etc/${file}`], env: ['PATH=/bin'], cwd: '/' })).out;
      await inside(`busybox rm /etc/${file} && busybox mkfifo /etc/${file} && test -p /etc/${file}`);
      try {
        // a named user reads passwd; a named group reads group
        const user = file === 'passwd' ? 'nobody' : '65534:nogroup';
        const e = execInContainer({ leaderPid: c.initPid, argv: ['true'], env: ['PATH=/bin'], cwd: '/', user });
        const t0 = Date.now();
        // release() waits synchronously: a payload stuck in open() would hang
        // this whole file, so a watchdog outside kills it (and the test fails).
        const watchdog = spawn('sh', ['-c', `sleep 5; kill -9 ${e.pid}`], { stdio: 'ignore' });
        assert.throws(() => { try { e.release(); } finally { watchdog.kill(); } }, (err: unknown) => {
          assert.ok(err instanceof KernelError, String(err));
          assert.equal(err.message, `exec: /etc/${file} is not a regular file`);
          return true;
        });
        assert.equal(await e.wait(), 127);
        assert.ok(Date.now() - t0 < 5000, 'refused, not waited out');
      } finally {
        await inside(`busybox rm /etc/${file} && printf '%s' '${saved}' > /etc/${file}`);
      }
    });
  }
});
