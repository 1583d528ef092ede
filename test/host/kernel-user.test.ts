import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execInContainer, KernelError, kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import type { SpawnRequest } from '../../src/kernel/types.js';
import { type Captured, ensureNative, execCaptured, type Fixture, makeFixture, runCaptured, skipReason } from './kernel-fixture.js';

/**
 * The payload's user comes from the container's /etc files (written into the
 * fixture's lower layer here), never the host's: the host has no 'app' user
 * with uid 1000 and no group 'media'.
 */
const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1000:App:/home/app:/bin/sh',
  'nohome:x:1001:1001:', // no home or shell field at all: HOME is /
  // a line without even a gid is skipped, not misread
  'broken:x:1002',
  `${'long'.repeat(2000)}:x:1003:1003::/:/bin/sh`,
  'late:x:1004:1004::/late:/bin/sh', // after an over-long line, still found
].join('\n'); // no final newline: the last line still counts
const GROUP = ['root:x:0:', 'app:x:1000:', 'media:x:44:app,other', 'video:x:45:other,app', 'audio:x:46:other', 'staff:x:50:'].join('\n') + '\n';

/** uid, gid, groups, HOME as the payload sees them (busybox id prints names; /proc does not). */
const PROBE = 'grep -E "^(Uid|Gid|Groups):" /proc/self/status | tr -s "\\t " " "; echo "HOME=$HOME"; grep -E "^Cap(Eff|Prm):" /proc/self/status';

describe('the payload\'s user (native user.c)', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  before(() => {
    ensureNative();
    f = makeFixture();
    writeFileSync(join(f.lower, 'etc/passwd'), PASSWD);
    writeFileSync(join(f.lower, 'etc/group'), GROUP);
  });
  after(() => f.cleanup());

  const run = (over: Partial<SpawnRequest>): Promise<Captured> => runCaptured(f, { env: ['PATH=/bin'], ...over });

  const probe = (user: string | undefined, env?: string[]): Promise<{ code: number; out: string }> =>
    run({ argv: ['sh', '-c', PROBE], ...(user !== undefined ? { user } : {}), ...(env ? { env } : {}) });

  test('a name: uid/gid from passwd, supplementary groups that list it, HOME, no capabilities', async () => {
    const r = await probe('app');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^Uid: 1000 1000 1000 1000$/m);
    assert.match(r.out, /^Gid: 1000 1000 1000 1000$/m);
    assert.match(r.out, /^Groups: 44 45 ?$/m);
    assert.match(r.out, /^HOME=\/home\/app$/m);
    assert.match(r.out, /^CapEff:\s+0+$/m, 'leaving uid 0 drops every capability');
    assert.match(r.out, /^CapPrm:\s+0+$/m);
  });

  test('USER:GROUP: the named group is primary and there are no supplementary groups', async () => {
    const r = await probe('app:staff');
    assert.match(r.out, /^Uid: 1000 /m);
    assert.match(r.out, /^Gid: 50 50 50 50$/m);
    assert.match(r.out, /^Groups: ?$/m);
  });

  test('numeric ids need no passwd entry (gid 0, HOME /); a numeric group is taken as is', async () => {
    const r = await probe('4242');
    assert.match(r.out, /^Uid: 4242 /m);
    assert.match(r.out, /^Gid: 0 /m);
    assert.match(r.out, /^HOME=\/$/m);
    const g = await probe('1000:7');
    assert.match(g.out, /^Uid: 1000 /m);
    assert.match(g.out, /^Gid: 7 /m);
    assert.match(g.out, /^HOME=\/home\/app$/m, 'uid 1000 is app: its home');
  });

  test('an empty home is /, an over-long line is skipped, the last line needs no newline, HOME set by the caller wins', async () => {
    assert.match((await probe('nohome')).out, /^HOME=\/$/m);
    assert.match((await probe('late')).out, /^Uid: 1004 /m);
    assert.match((await probe('app', ['PATH=/bin', 'HOME=/custom'])).out, /^HOME=\/custom$/m);
  });

  test('root stays root with its capabilities', async () => {
    const r = await probe('root');
    assert.match(r.out, /^Uid: 0 0 0 0$/m);
    assert.match(r.out, /^CapEff:\s+0*[1-9a-f][0-9a-f]*$/m);
  });

  test('an unknown user or group fails before exec with a lookup error naming it', async () => {
    await assert.rejects(probe('nobody-here'), (e: unknown) =>
      e instanceof KernelError && e.stage === 'init' && e.syscall === 'lookup' && e.message === "init: no user 'nobody-here' in /etc/passwd");
    await assert.rejects(probe('app:nogroup'), (e: unknown) =>
      e instanceof KernelError && e.message === "init: no group 'nogroup' in /etc/group");
    await assert.rejects(probe('broken'), /no user 'broken'/);
  });

  test('exec resolves the user inside the running container', async () => {
    const c = spawnContainer(f.request({ argv: ['sleep', '1000'] }));
    c.release();
    const exited = waitExit(c.monitorPid);
    try {
      const { code, out } = await execCaptured(f, { leaderPid: c.initPid, argv: ['sh', '-c', PROBE], env: ['PATH=/bin'], cwd: '/', user: 'app' });
      assert.equal(code, 0, out);
      assert.match(out, /^Uid: 1000 /m);
      assert.match(out, /^Groups: 44 45 ?$/m);
      const bad = execInContainer({ leaderPid: c.initPid, argv: ['true'], env: [], cwd: '/', user: 'ghost' });
      assert.throws(() => bad.release(), /exec: no user 'ghost' in \/etc\/passwd/);
      assert.equal(await bad.wait(), 127);
    } finally {
      kill(c.initPid, 9);
      await exited;
    }
  });
});
