import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeExec, encodeSpawn } from '../../src/kernel/request.js';
import { KernelError } from '../../src/kernel/errors.js';
import type { SpawnRequest } from '../../src/kernel/types.js';

const base: SpawnRequest = {
  name: 'web',
  hostname: 'web',
  rootfs: { lowerdirs: ['/l/base', '/l/app'], upperdir: '/c/upper', workdir: '/c/work', mountpoint: '/c/root' },
  binds: [{ source: '/srv/data', target: '/data', readonly: true }],
  argv: ['httpd', '-f'],
  env: ['PATH=/bin'],
  cwd: '/',
  shareHostNetwork: false,
  stdio: { kind: 'journal', identifier: 'web' },
  exitFile: '/run/tsmachine/web/exit',
};

function records(b: Buffer): string[] {
  const s = b.toString('utf8');
  assert.ok(s.endsWith('\0'));
  return s.slice(0, -1).split('\0');
}

test('encodeSpawn keeps repeated keys in order, bottom layer first', () => {
  const r = records(encodeSpawn(base, '/m'));
  assert.deepEqual(r.filter((x) => x.startsWith('lower=')), ['lower=/l/base', 'lower=/l/app']);
  assert.deepEqual(r.filter((x) => x.startsWith('argv=')), ['argv=httpd', 'argv=-f']);
  const i = r.indexOf('bind_src=/srv/data');
  assert.deepEqual(r.slice(i, i + 3), ['bind_src=/srv/data', 'bind_dst=/data', 'bind_ro=1']);
  assert.ok(r.includes('stdio=journal'));
  assert.ok(r.includes('ident=web'));
  assert.ok(r.includes('monitor=/m'));
});

test('a user travels as one record, only when set; exec carries it too', () => {
  assert.ok(records(encodeSpawn({ ...base, user: 'app:staff' }, '/m')).includes('user=app:staff'));
  assert.ok(!records(encodeSpawn(base, '/m')).some((x) => x.startsWith('user=')));
  assert.ok(!records(encodeSpawn({ ...base, user: '' }, '/m')).some((x) => x.startsWith('user=')));
  assert.ok(records(encodeExec({ leaderPid: 5, argv: ['id'], env: [], cwd: '/', user: '1000' })).includes('user=1000'));
  for (const bad of ['a b', 'a:b:c', ':g', 'x\ny'])
    assert.throws(() => encodeSpawn({ ...base, user: bad }, '/m'), (e: unknown) => e instanceof KernelError && e.errnoName === 'EINVAL', bad);
});

test('the seccomp filter is on unless unconfined; no_new_privs only when asked; exec carries both', () => {
  const conf = (r: string[]): string[] => r.filter((x) => x.startsWith('seccomp=') || x.startsWith('nnp='));
  assert.deepEqual(conf(records(encodeSpawn(base, '/m'))), ['seccomp=1', 'nnp=0']);
  assert.deepEqual(conf(records(encodeSpawn({ ...base, seccomp: 'default', noNewPrivileges: false }, '/m'))), ['seccomp=1', 'nnp=0']);
  assert.deepEqual(conf(records(encodeSpawn({ ...base, seccomp: 'unconfined', noNewPrivileges: true }, '/m'))), ['seccomp=0', 'nnp=1']);
  const exec = { leaderPid: 5, argv: ['id'], env: [], cwd: '/' };
  assert.deepEqual(conf(records(encodeExec({ ...exec, seccomp: 'unconfined', noNewPrivileges: true }))), ['seccomp=0', 'nnp=1']);
  assert.deepEqual(conf(records(encodeExec(exec))), ['seccomp=1', 'nnp=0']);
  // A JS caller (or old state) with another word must not fall through to "no filter".
  const odd = 'none' as unknown as 'default';
  assert.throws(() => encodeSpawn({ ...base, seccomp: odd }, '/m'), (e: unknown) => e instanceof KernelError && e.errnoName === 'EINVAL');
  assert.throws(() => encodeExec({ ...exec, seccomp: odd }), KernelError);
});

test('a journal stream may name its unit, journald\'s fallback for lines of exited writers', () => {
  assert.ok(records(encodeSpawn({ ...base, stdio: { kind: 'journal', identifier: 'web', unit: 'tsmachine-web.scope' } }, '/m')).includes('unit=tsmachine-web.scope'));
  assert.ok(!records(encodeSpawn(base, '/m')).some((x) => x.startsWith('unit=')));
  assert.throws(() => encodeSpawn({ ...base, stdio: { kind: 'journal', identifier: 'web', unit: 'a\nb' } }, '/m'), (e: unknown) => e instanceof KernelError && e.errnoName === 'EINVAL');
});

test('encodeSpawn passes test fds', () => {
  const r = records(encodeSpawn({ ...base, stdio: { kind: 'fds', stdin: 3, stdout: 4, stderr: 5 } }, '/m'));
  assert.ok(r.includes('fd0=3') && r.includes('fd1=4') && r.includes('fd2=5'));
});

test('encodeSpawn rejects what the C side could not carry or overlay could not parse', () => {
  const bad: [string, Partial<SpawnRequest>][] = [
    ['NUL', { argv: ['a\0b'] }],
    ['empty argv', { argv: [] }],
    ['relative cwd', { cwd: 'tmp' }],
    ['relative bind target', { binds: [{ source: '/a', target: 'b', readonly: false }] }],
    ['comma in layer', { rootfs: { ...base.rootfs, lowerdirs: ['/a,b'] } }],
    ['colon in upper', { rootfs: { ...base.rootfs, upperdir: '/a:b' } }],
    ['no layers', { rootfs: { ...base.rootfs, lowerdirs: [] } }],
    ['env without =', { env: ['PATH'] }],
    ['newline in identifier', { stdio: { kind: 'journal', identifier: 'a\nb' } }],
  ];
  for (const [why, over] of bad) {
    assert.throws(() => encodeSpawn({ ...base, ...over }, '/m'), (e: unknown) => e instanceof KernelError && e.errnoName === 'EINVAL', why);
  }
});

test('encodeSpawn passes the pty size', () => {
  const r = records(encodeSpawn({ ...base, stdio: { kind: 'pty', rows: 40, cols: 100, onMaster: () => {} } }, '/m'));
  assert.ok(r.includes('stdio=pty') && r.includes('rows=40') && r.includes('cols=100'));
  for (const [rows, cols] of [[-1, 80], [24, 70000], [1.5, 80]] as const) {
    assert.throws(() => encodeSpawn({ ...base, stdio: { kind: 'pty', rows, cols, onMaster: () => {} } }, '/m'), KernelError);
  }
});

test('encodeExec', () => {
  assert.deepEqual(records(encodeExec({ leaderPid: 42, argv: ['sh'], env: [], cwd: '/root' })), ['leader=42', 'argv=sh', 'cwd=/root', 'seccomp=1', 'nnp=0', 'caps=a80425fb', 'stdio=inherit']);
  // the capability mask travels as hex; all 64 bits for --privileged; nothing outside 64 bits
  assert.ok(records(encodeExec({ leaderPid: 42, argv: ['sh'], env: [], cwd: '/', capabilities: (1n << 64n) - 1n })).includes('caps=ffffffffffffffff'));
  assert.ok(records(encodeExec({ leaderPid: 42, argv: ['sh'], env: [], cwd: '/', capabilities: 0n })).includes('caps=0'));
  assert.throws(() => encodeExec({ leaderPid: 42, argv: ['sh'], env: [], cwd: '/', capabilities: 1n << 64n }), KernelError);
  // --shm-size reaches the stage in bytes, only when given
  assert.ok(records(encodeSpawn({ ...base, shmSize: 268435456 }, '/m')).includes('shm_size=268435456'));
  assert.ok(!records(encodeSpawn(base, '/m')).some((r) => r.startsWith('shm_size=')));
  assert.throws(() => encodeSpawn({ ...base, shmSize: 0 }, '/m'), KernelError);
  assert.deepEqual(records(encodeExec({ leaderPid: 42, argv: ['sh'], env: [], cwd: '/', stdio: { kind: 'fds', stdin: 7, stdout: 1, stderr: 2 } })).slice(6),
    ['stdio=fds', 'fd0=7', 'fd1=1', 'fd2=2']);
  assert.throws(() => encodeExec({ leaderPid: 0, argv: ['sh'], env: [], cwd: '/' }), KernelError);
  // Not expressible in TypeScript, but a JS caller could try.
  const journal = { kind: 'journal', identifier: 'x' } as unknown as { kind: 'inherit' };
  assert.throws(() => encodeExec({ leaderPid: 42, argv: ['sh'], env: [], cwd: '/', stdio: journal }), KernelError);
});

test('KernelError reads like strerror and carries the facts', () => {
  const e = new KernelError({ stage: 'init', syscall: 'mount', what: 'overlay', errno: 22, path: '/var/lib/tsmachine/web/root' });
  assert.equal(e.message, 'init: mount overlay on /var/lib/tsmachine/web/root failed: EINVAL (Invalid argument)');
  assert.equal(e.module, 'kernel');
  assert.equal(e.name, 'KernelError');
  assert.equal(e.errnoName, 'EINVAL');
  const x = new KernelError({ stage: 'init', syscall: 'execve', what: '', errno: 2, path: 'nope' });
  assert.equal(x.message, 'init: execve nope failed: ENOENT (No such file or directory)');
  const s = new KernelError({ stage: 'init', syscall: 'prctl', what: 'PR_SET_SECCOMP', errno: 22, path: '' });
  assert.equal(s.message, 'init: prctl PR_SET_SECCOMP failed: EINVAL (Invalid argument): this kernel has no seccomp filters (--seccomp unconfined runs without)');
});
