/**
 * --private-users through the CLI on a real systemd: the container's root is
 * a picked 64K range of host ids, the built-in httpd (root inside, port 80)
 * serves, exec joins the namespace, files it writes carry host ids of the
 * range, a restart keeps the range, and a bad range leaves nothing behind.
 * The image is imported into the store: idmapped mounts need a file system
 * that supports them, which the checkout's virtiofs share (where the built-in
 * image lives in the test VM) is not.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sh, tsmachine, waitUntil, type RunResult } from './helpers.js';

const A = 'uns-a';
const B = 'uns-b';
const STATE = '/var/lib/tsmachine';
const IMAGE = 'uns-httpd';
const HTTPD = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];

async function ok(args: string[]): Promise<RunResult> {
  const r = await tsmachine(args, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `tsmachine ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r;
}

interface Status { leader: number | null; addresses: string[]; userns: { base: number; size: number } | null }
const status = async (name: string): Promise<Status> => JSON.parse((await ok(['status', '--json', name])).stdout) as Status;

after(async () => {
  for (const n of [A, B]) await tsmachine(['rm', '--force', n]);
  await tsmachine(['rmi', '--force', IMAGE]);
});

test('on a file system without idmapped mounts (virtiofs) the start fails in one line and leaves nothing', async () => {
  const r = await tsmachine(['start', '--private-users', 'pick', '--network', 'none', '--image', 'httpd', 'uns-virtiofs']);
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr.trim(), /^tsmachine: start uns-virtiofs: init: --private-users needs idmapped mounts, which the file system of \/\S+ does not support/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.ok(!existsSync(join(STATE, 'containers', 'uns-virtiofs')));
  await ok(['import', '--name', IMAGE, '/mnt/host/build/images/httpd/rootfs']);
});

test('start --private-users pick: root inside is a picked 64K range of host ids; httpd binds port 80 and serves', async () => {
  await ok(['start', '--private-users', 'pick', '--image', IMAGE, A, '--', ...HTTPD]);
  const s = await status(A);
  assert.ok(s.userns, 'status names the range');
  const { base, size } = s.userns;
  assert.equal(size, 65536);
  assert.ok(base >= 0x80000 && (base - 0x80000) % 65536 === 0, `base ${base} is a 64K slot of nspawn's range`);
  assert.equal(readFileSync(`/proc/${s.leader}/uid_map`, 'utf8').trim().split(/\s+/).join(' '), `0 ${base} 65536`);
  assert.equal(readFileSync(`/proc/${s.leader}/gid_map`, 'utf8').trim().split(/\s+/).join(' '), `0 ${base} 65536`);
  const hostUid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${s.leader}/status`, 'utf8'))?.[1];
  assert.equal(Number(hostUid), base, 'seen from the host, httpd runs as the range\'s first id, not root');
  const page = await waitUntil('the page', async () => {
    const r = await sh(`curl -sf --max-time 5 http://${s.addresses[0]!.split('/')[0]}/`);
    return r.code === 0 ? r.stdout : null;
  }, { timeoutMs: 30_000, intervalMs: 300 });
  assert.match(page, /Hello from a tsmachine container/);
});

test('exec joins the user namespace as its root; what it writes is the range\'s on the host; the image reads as root\'s', async () => {
  const { userns } = await status(A);
  const r = await ok(['exec', A, 'sh', '-c', 'id -u; stat -c %u:%g /bin/busybox /etc/hostname; touch /made-by-exec']);
  assert.deepEqual(r.stdout.trim().split('\n'), ['0', '0:0', '0:0']);
  assert.equal(statSync(join(STATE, 'containers', A, 'upper', 'made-by-exec')).uid, userns!.base);
  assert.equal(statSync(join(STATE, 'containers', A, 'upper', 'etc', 'hostname')).uid, userns!.base, '/etc files the runtime writes belong to the range');
});

test('a second container picks another range; a restart keeps the range; rm frees it', async () => {
  await ok(['start', '--private-users', 'yes', '--network', 'none', '--image', IMAGE, B, '--', 'sleep', '1000']);
  const a = (await status(A)).userns!, b = (await status(B)).userns!;
  assert.ok(a.base + a.size <= b.base || b.base + b.size <= a.base, `disjoint: ${a.base} and ${b.base}`);
  await ok(['stop', '--time', '1', A]);
  await ok(['start', A]);
  assert.deepEqual((await status(A)).userns, a, 'the same range after a restart');
  await ok(['rm', '--force', B]);
  // B's range is free again: a new container may take exactly it (A's may not).
  const clash = await tsmachine(['start', '--private-users', `${a.base}:${a.size}`, '--network', 'none', '--image', IMAGE, 'uns-c', '--', 'true']);
  assert.equal(clash.code, 125);
  assert.match(clash.stderr, new RegExp(`overlaps ${a.base}:${a.size} of container ${A}`));
  await ok(['start', '--private-users', `${b.base}:${b.size}`, '--network', 'none', '--image', IMAGE, B, '--', 'sleep', '1000']);
  assert.deepEqual((await status(B)).userns, b);
});

test('a range below 65536 is refused in one line, leaving no container', async () => {
  const r = await tsmachine(['start', '--private-users', '1000', '--network', 'none', '--image', 'httpd', 'uns-bad']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr.trim(), "tsmachine: start uns-bad: --private-users '1000' starts below 65536, among the host's own users");
  assert.ok(!existsSync(join(STATE, 'containers', 'uns-bad')));
});
