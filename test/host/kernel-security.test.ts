import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import type { SpawnRequest } from '../../src/kernel/types.js';
import { type Captured, ensureNative, execCaptured, type Fixture, makeFixture, runCaptured, skipReason } from './kernel-fixture.js';

/** docker's default capabilities (CHOWN … AUDIT_WRITE) as /proc/PID/status prints them. */
const DOCKER_CAPS = 0xa80425fbn;

function capsOf(status: string): Record<string, bigint> {
  const caps: Record<string, bigint> = {};
  for (const m of status.matchAll(/^(Cap\w+):\s+([0-9a-f]+)$/gm)) caps[m[1]!] = BigInt(`0x${m[2]}`);
  return caps;
}

/** What the payload may keep: docker's set, minus what this host's root lacks itself. */
const expectedCaps = (): bigint => DOCKER_CAPS & (capsOf(readFileSync('/proc/self/status', 'utf8')).CapBnd ?? 0n);

describe('security baseline', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  before(() => { ensureNative(); f = makeFixture(); });
  after(() => f.cleanup());

  const run = (over: Partial<SpawnRequest>): Promise<Captured> => runCaptured(f, { ...over });

  test("the payload has docker's capabilities: no mount or sethostname, but port 80 binds", async () => {
    const script = [
      'grep Cap /proc/self/status',
      'hostname other 2>/dev/null && echo hostname=changed || echo hostname=EPERM',
      'mount -t tmpfs none /tmp 2>/dev/null && echo mount=ok || echo mount=EPERM',
      // nc exits at once when it cannot bind; still there after 0.3 s means it listens.
      'nc -l -p 80 & sleep 0.3; kill $! 2>/dev/null && echo bind80=ok || echo bind80=failed',
      'chown 1:1 /root && echo chown=ok',
    ].join('\n');
    const r = await run({ argv: ['sh', '-c', script] });
    assert.equal(r.code, 0, r.out);
    const caps = capsOf(r.out);
    const want = expectedCaps();
    assert.equal(caps.CapBnd, want, `bounding set ${caps.CapBnd?.toString(16)}`);
    assert.equal(caps.CapEff, want);
    assert.equal(caps.CapPrm, want);
    assert.equal(caps.CapInh, 0n, 'no inheritable caps (CVE-2022-24769)');
    assert.equal(caps.CapAmb, 0n);
    for (const l of ['hostname=EPERM', 'mount=EPERM', 'bind80=ok', 'chown=ok']) assert.ok(r.out.split('\n').includes(l), `${l} in\n${r.out}`);
  });

  test('the kept set is what the request says: --cap-add/--cap-drop and --privileged reach the stage', async () => {
    const host = capsOf(readFileSync('/proc/self/status', 'utf8')).CapBnd ?? 0n;
    const NET_ADMIN = 1n << 12n, MKNOD = 1n << 27n, SYS_ADMIN = 1n << 21n;
    const custom = (DOCKER_CAPS | NET_ADMIN) & ~MKNOD;
    const r = await run({ argv: ['sh', '-c', 'grep Cap /proc/self/status; mknod /tmp/n c 1 3 && echo mknod=ok || echo mknod=EPERM'], capabilities: custom });
    assert.equal(capsOf(r.out).CapEff, custom & host, r.out);
    assert.ok(r.out.split('\n').includes('mknod=EPERM'), r.out);
    const all = await run({ argv: ['sh', '-c', 'grep Cap /proc/self/status; hostname other && echo hostname=changed'], capabilities: (1n << 64n) - 1n, maskPaths: false });
    assert.equal(capsOf(all.out).CapEff, host, 'privileged: every capability the host has');
    assert.ok((capsOf(all.out).CapEff ?? 0n) & SYS_ADMIN);
    assert.ok(all.out.split('\n').includes('hostname=changed'), all.out);
    const none = await run({ argv: ['sh', '-c', 'grep Cap /proc/self/status; chown 1:1 /root || echo chown=EPERM'], capabilities: 0n });
    assert.equal(capsOf(none.out).CapEff, 0n);
    assert.ok(none.out.split('\n').includes('chown=EPERM'), none.out);
  });

  test('masked paths are off only when asked (--privileged)', async () => {
    const r = await run({ argv: ['sh', '-c', 'grep -c " /proc/keys " /proc/self/mountinfo || true'], maskPaths: false });
    assert.equal(r.out.trim(), '0', `no mount over /proc/keys: ${r.out}`);
  });

  test('sensitive /proc paths are masked or read-only', async () => {
    const script = [
      'for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do [ -e $p ] && echo $p=$(cat $p | wc -c); done',
      'echo acpi=$(ls -A /proc/acpi | wc -l)',
      'echo x > /proc/sys/kernel/hostname 2>/dev/null && echo sys=writable || echo sys=readonly',
      'echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq=writable || echo sysrq=readonly',
      'grep -E " /proc/(sys|irq|bus|sysrq-trigger) " /proc/self/mountinfo',
    ].join('\n');
    const r = await run({ argv: ['sh', '-c', script] });
    const out = r.out.split('\n');
    for (const p of ['/proc/keys', '/proc/timer_list', '/proc/kcore', '/proc/sched_debug']) {
      const line = out.find((l) => l.startsWith(`${p}=`));
      // Not every kernel has every file; those it has read as /dev/null.
      if (line) assert.equal(line, `${p}=0`, r.out);
    }
    assert.ok(out.includes('/proc/keys=0'), r.out);
    assert.ok(out.includes('acpi=0'), r.out);
    assert.ok(out.includes('sys=readonly'), r.out);
    assert.ok(out.includes('sysrq=readonly'), r.out);
    const sys = out.find((l) => / \/proc\/sys /.test(l));
    assert.match(sys ?? '', / \/proc\/sys ro,nosuid,nodev,noexec/, 'read-only, keeping proc\'s nosuid/nodev/noexec');
  });

  test('exec gets the same capabilities as the container', async () => {
    const c = spawnContainer(f.request({ argv: ['sleep', '1000'] }));
    c.release();
    const exited = waitExit(c.monitorPid);
    try {
      const r = await execCaptured(f, { leaderPid: c.initPid, argv: ['sh', '-c', 'grep Cap /proc/self/status; hostname x'], env: ['PATH=/bin'], cwd: '/' });
      assert.notEqual(r.code, 0, 'hostname must fail');
      const caps = capsOf(r.out);
      assert.equal(caps.CapEff, expectedCaps());
      assert.equal(caps.CapBnd, expectedCaps());
    } finally {
      kill(c.initPid, 9);
      await exited;
    }
  });
});
