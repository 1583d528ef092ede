/**
 * Root in a default container must not reach the host (issue 15). Each case
 * runs as root inside a container and proves a door is shut, and beside it
 * that the same action works where it should (/dev/null, the disk with
 * --device or --privileged), so a broken setup cannot pass by failing
 * everything. The device case also runs under systemd-nspawn, the peer whose
 * policy (DevicePolicy=closed, DeviceAllow= tun and ptys) this copies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CHECKOUT, cgroupFile, run, tsmachine, unitProperty, waitUntil, type RunResult } from './helpers.js';

const IMAGE_SRC = join(CHECKOUT, 'build/images/httpd/rootfs');
const EVIL = '/var/lib/machines/tsm-evil'; // a directory image shipping device nodes and host-aimed symlinks
const created: string[] = [];

/** The block device holding the host's root filesystem, as "MAJ:MIN" (mountinfo's third field), else the first disk. */
function rootDisk(): string {
  const root = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[4] === '/');
  const dev = root?.[2] ?? '0:0';
  if (!dev.startsWith('0:')) return dev;
  const disk = readdirSync('/sys/block').find((d) => !/^(loop|ram|zram)/.test(d));
  assert.ok(disk, 'a block device on the host');
  return readFileSync(`/sys/block/${disk}/dev`, 'utf8').trim();
}
/** The host's /dev path of that device. */
function rootDiskPath(majmin: string): string {
  const name = readdirSync('/sys/class/block').find((d) => readFileSync(`/sys/class/block/${d}/dev`, 'utf8').trim() === majmin);
  assert.ok(name, `a /dev node for ${majmin}`);
  return `/dev/${name}`;
}

/** `tsmachine run --rm` of a shell script in a throwaway container; the script's lines come back. */
async function inContainer(name: string, script: string, ...opts: string[]): Promise<RunResult & { lines: string[] }> {
  const r = await tsmachine(['run', '--rm', '--network', 'none', ...opts, name, '--', '/bin/sh', '-c', script], { timeoutMs: 120_000 });
  return { ...r, lines: r.stdout.split('\n') };
}
const has = (r: { lines: string[]; stdout: string; stderr: string }, line: string): void =>
  assert.ok(r.lines.includes(line), `'${line}' in:\n${r.stdout}\nstderr: ${r.stderr}`);

let disk = '';
let diskPath = '';
before(() => {
  disk = rootDisk();
  diskPath = rootDiskPath(disk);
  rmSync(EVIL, { recursive: true, force: true });
  cpSync(IMAGE_SRC, EVIL, { recursive: true, verbatimSymlinks: true });
  const [maj, min] = disk.split(':');
  // A layer that ships the host's disk and /dev/mem as nodes (a pulled image can carry any).
  execFileSync('mknod', [join(EVIL, 'disk'), 'b', maj!, min!]);
  execFileSync('mknod', [join(EVIL, 'mem'), 'c', '1', '1']);
  execFileSync('mknod', [join(EVIL, 'kmsg'), 'c', '1', '11']);
  // ...and symlinks aimed at the host: the runtime writes /etc/resolv.conf and mounts onto /data.
  rmSync(join(EVIL, 'etc/resolv.conf'), { force: true });
  symlinkSync('/run/tsm-escape-resolv', join(EVIL, 'etc/resolv.conf'));
  symlinkSync('/etc', join(EVIL, 'data'));
});

after(async () => {
  for (const n of created) await tsmachine(['rm', '--force', n]);
  rmSync(EVIL, { recursive: true, force: true });
  rmSync('/run/tsm-escape-src', { recursive: true, force: true });
});

const DEVICE_SCRIPT = (majmin: string): string => {
  const [maj, min] = majmin.split(':');
  return [
    // The device program refuses mknod ('m') of what it does not allow, so the nodes are not even made.
    `mknod /d b ${maj} ${min} 2>/dev/null && echo disk-mknod=ok || echo disk-mknod=denied`,
    '[ -b /d ] && echo disk-read=$(head -c 512 /d 2>/dev/null | wc -c)',
    'mknod /m c 1 1 2>/dev/null && echo mem-mknod=ok || echo mem-mknod=denied',
    'mknod /k c 1 11 2>/dev/null && echo kmsg-mknod=ok || echo kmsg-mknod=denied',
    // what must keep working: the pseudo devices, also as nodes of one's own
    'echo x > /dev/null && echo null=ok',
    'echo zero=$(head -c 8 /dev/zero | wc -c)',
    'mknod /n c 1 3 && echo y > /n && echo own-null=ok',
  ].join('\n');
};

test("mknod of the host's disk, /dev/mem and /dev/kmsg is refused, /dev/null's works (and nspawn agrees)", async () => {
  const r = await inContainer('esc-dev', DEVICE_SCRIPT(disk), '--image', 'httpd');
  assert.equal(r.code, 0, r.stderr);
  for (const l of ['disk-mknod=denied', 'mem-mknod=denied', 'kmsg-mknod=denied', 'null=ok', 'zero=8', 'own-null=ok']) has(r, l);
  assert.ok(!r.stdout.includes('disk-read='), r.stdout);

  // The peer: systemd-nspawn on a copy of the same tree (it also allocates a scope with DevicePolicy=closed).
  const n = await run('systemd-nspawn', ['--quiet', '--register=no', '--resolv-conf=off', '--timezone=off', '--link-journal=no',
    '-D', EVIL, '--pipe', '--', '/bin/sh', '-c', DEVICE_SCRIPT(disk)], {
    timeoutMs: 120_000,
    // The image has no systemd, for which nspawn would set up a legacy "name=systemd" hierarchy on the host.
    env: { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' },
  });
  for (const f of ['d', 'm', 'k', 'n']) rmSync(join(EVIL, f), { force: true });
  const nl = n.stdout.split('\n');
  for (const l of ['disk-mknod=denied', 'mem-mknod=denied', 'kmsg-mknod=denied', 'null=ok', 'own-null=ok']) assert.ok(nl.includes(l), `nspawn: '${l}' in\n${n.stdout}\n${n.stderr}`);
});

test('--device gives exactly that device with that access; --privileged lifts the policy', async () => {
  const dev = await inContainer('esc-devopt', [
    'echo read=$(head -c 512 /dev/xvda | wc -c)',
    // a subshell: a failed redirection of ':' (a special built-in) would end the script
    '(: >> /dev/xvda) 2>/dev/null && echo write=ok || echo write=denied',
    'ls -l /dev/xvda',
  ].join('\n'), '--image', 'httpd', '--device', `${diskPath}:/dev/xvda:r`);
  assert.equal(dev.code, 0, dev.stderr);
  has(dev, 'read=512');
  has(dev, 'write=denied');
  assert.match(dev.stdout, /^b/m, 'a block node in /dev');

  const priv = await inContainer('esc-priv', `mknod /d b ${disk.replace(':', ' ')} && echo read=$(head -c 512 /d | wc -c); grep CapEff /proc/self/status`, '--image', 'httpd', '--privileged');
  assert.equal(priv.code, 0, priv.stderr);
  has(priv, 'read=512');

  // A device the host does not have: one line, exit 125, nothing made.
  const bad = await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', '--device', '/dev/tsm-nope', 'esc-nodev', '--', 'true']);
  assert.equal(bad.code, 125);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--device '\/dev\/tsm-nope': \/dev\/tsm-nope does not exist on this host/);
  assert.equal(unitProperty('tsmachine-esc-nodev.scope', 'LoadState'), 'not-found');
  assert.ok(!existsSync('/var/lib/tsmachine/containers/esc-nodev'));
});

test("device nodes shipped in an image's layer cannot be opened", async () => {
  const r = await inContainer('esc-img', [
    '[ -b /disk ] && [ -c /mem ] && [ -c /kmsg ] && echo nodes=present',
    'echo disk-read=$(head -c 512 /disk 2>/dev/null | wc -c)',
    // zero bytes: nothing is written even if the open went through
    '(: >> /disk) 2>/dev/null && echo disk-write=ok || echo disk-write=denied',
    'echo mem-read=$(head -c 16 /mem 2>/dev/null | wc -c)',
    '(echo hi >> /kmsg) 2>/dev/null && echo kmsg-write=ok || echo kmsg-write=denied',
    'cat /mem 2>&1 | head -1',
  ].join('\n'), '--image', 'tsm-evil');
  assert.equal(r.code, 0, r.stderr);
  for (const l of ['nodes=present', 'disk-read=0', 'disk-write=denied', 'mem-read=0', 'kmsg-write=denied']) has(r, l);
  assert.match(r.stdout, /Operation not permitted/, 'refused by the device policy (EPERM), not by a missing node');
});

test('the scope carries the policy and nspawn\'s TasksMax; update and exec keep it', async () => {
  created.push('esc-scope');
  const s = await tsmachine(['start', 'esc-scope', '--network', 'none', '--image', 'httpd']);
  assert.equal(s.code, 0, s.stderr);
  const unit = 'tsmachine-esc-scope.scope';
  assert.equal(unitProperty(unit, 'DevicePolicy'), 'closed');
  const allow = unitProperty(unit, 'DeviceAllow');
  assert.match(allow, /char-pts rw/);
  assert.match(allow, /\/dev\/net\/tun rwm/);
  assert.equal(unitProperty(unit, 'TasksMax'), '16384');
  assert.equal(cgroupFile(unit, 'pids.max'), '16384');

  const u = await tsmachine(['update', 'esc-scope', '--memory', '96M']);
  assert.equal(u.code, 0, u.stderr);
  assert.equal(cgroupFile(unit, 'memory.max'), String(96 * 2 ** 20));
  assert.equal(unitProperty(unit, 'DevicePolicy'), 'closed', 'update keeps the device policy');
  assert.match(unitProperty(unit, 'DeviceAllow'), /char-pts rw/);

  // exec'd processes join the scope, so the same program applies; and they get the payload's capabilities
  const e = await tsmachine(['exec', 'esc-scope', '/bin/sh', '-c', `mknod /x b ${disk.replace(':', ' ')}; echo read=$(head -c 512 /x 2>/dev/null | wc -c); grep CapEff /proc/self/status; grep CapEff /proc/1/status`]);
  assert.equal(e.code, 0, e.stderr);
  assert.ok(e.stdout.split('\n').includes('read=0'), e.stdout);
  const caps = [...e.stdout.matchAll(/^CapEff:\s+(\w+)$/gm)].map((m) => m[1]);
  assert.equal(caps.length, 2, e.stdout);
  assert.equal(caps[0], caps[1], 'exec has the payload\'s CapEff');
  assert.equal(caps[0], '00000000a80425fb', "docker's default set");
});

test('no mount, no /proc/sys, /sys or cgroup limit writes, no new namespaces, no kcore or keys', async () => {
  const r = await inContainer('esc-kern', [
    'mount -t tmpfs none /mnt 2>/dev/null && echo mount=ok || echo mount=denied',
    'echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo procsys=ok || echo procsys=denied',
    'echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq=ok || echo sysrq=denied',
    'echo x > /sys/kernel/uevent_helper 2>/dev/null && echo sys=ok || echo sys=denied',
    'echo 1 > /sys/fs/cgroup/memory.max 2>/dev/null && echo memmax=ok || echo memmax=denied',
    'echo 1 > /sys/fs/cgroup/pids.max 2>/dev/null && echo pidsmax=ok || echo pidsmax=denied',
    'unshare -U true 2>/dev/null && echo userns=ok || echo userns=denied',
    'unshare -m true 2>/dev/null && echo mntns=ok || echo mntns=denied',
    'echo kcore=$(head -c 16 /proc/kcore 2>/dev/null | wc -c)',
    'echo keys=$(cat /proc/keys 2>/dev/null | wc -c)',
    // and ordinary root work still goes
    'echo ok > /tmp/f && echo tmp=ok',
    'chown 1:1 /tmp/f && echo chown=ok',
    'echo uid=$(id -u)',
  ].join('\n'), '--image', 'httpd', '--memory', '64M');
  assert.equal(r.code, 0, r.stderr);
  for (const l of ['mount=denied', 'procsys=denied', 'sysrq=denied', 'sys=denied', 'memmax=denied', 'pidsmax=denied', 'userns=denied', 'mntns=denied', 'kcore=0', 'keys=0', 'tmp=ok', 'chown=ok', 'uid=0'])
    has(r, l);
});

test('--cap-add, --cap-drop: the set the payload has; exec follows it', async () => {
  const r = await inContainer('esc-caps', 'grep CapEff /proc/self/status; mknod /n c 1 3 2>/dev/null && echo mknod=ok || echo mknod=denied; hostname other && echo hostname=ok', '--image', 'httpd', '--cap-add', 'SYS_ADMIN', '--cap-drop', 'MKNOD');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CapEff:\s+00000000a02425fb$/m);
  has(r, 'mknod=denied');
  has(r, 'hostname=ok');
  const bad = await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', '--cap-add', 'SYS_WIZARD', 'esc-badcap', '--', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^tsmachine: .*--cap-add 'SYS_WIZARD' is not a capability/);
});

test("an image's symlinks never make the runtime write or mount on the host", async () => {
  mkdirSync('/run/tsm-escape-src', { recursive: true });
  writeFileSync('/run/tsm-escape-src/marker', 'from the host\n');
  const etcBefore = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith('/etc')).length;
  const r = await inContainer('esc-link', 'cat /data/marker', '--image', 'tsm-evil', '--bind', '/run/tsm-escape-src:/data');
  // resolv.conf -> /run/tsm-escape-resolv: written inside (as a file replacing the link) or not at all, never on the host
  assert.ok(!existsSync('/run/tsm-escape-resolv'), 'the runtime followed the image\'s /etc/resolv.conf symlink onto the host');
  // /data -> /etc: the bind is resolved in the container's root (landing on its own /etc), never on the host's /etc
  assert.equal(r.code, 0, r.stderr);
  has(r, 'from the host');
  const etcAfter = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith('/etc')).length;
  assert.equal(etcAfter, etcBefore, "nothing mounted on the host's /etc");
  assert.ok(lstatSync('/etc/passwd').isFile());
});

test('an unprivileged host user is refused in one line', async () => {
  const r = await run('runuser', ['-u', 'nobody', '--', join(CHECKOUT, 'bin/tsmachine.cjs'), 'start', 'esc-user', '--image', 'httpd']);
  assert.equal(r.code, 125, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^tsmachine: /);
  assert.equal(unitProperty('tsmachine-esc-user.scope', 'LoadState'), 'not-found');
});

test('a fork bomb stops at the limit: the host keeps forking, rm --force ends it', async () => {
  created.push('esc-bomb');
  const s = await tsmachine(['start', 'esc-bomb', '--network', 'none', '--image', 'httpd', '--pids-limit', '64', '--', '/bin/sh', '-c', 'b() { b | b & }; b; sleep 1000']);
  assert.equal(s.code, 0, s.stderr);
  const unit = 'tsmachine-esc-bomb.scope';
  await waitUntil('the bomb to reach its limit', () => Number(cgroupFile(unit, 'pids.current')) >= 60, { timeoutMs: 60_000, intervalMs: 500 });
  assert.ok(Number(cgroupFile(unit, 'pids.current')) <= 64);
  const host = await run('/bin/sh', ['-c', 'for i in 1 2 3 4 5; do /bin/true || exit 1; done; echo forked']);
  assert.equal(host.stdout.trim(), 'forked', 'the host still forks');
  const rm = await tsmachine(['rm', '--force', 'esc-bomb'], { timeoutMs: 120_000 });
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(unitProperty(unit, 'LoadState'), 'not-found');
});
