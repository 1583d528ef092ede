import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeOciCreate, encodeOciExec } from '../../src/kernel/oci.js';
import { KernelError } from '../../src/kernel/errors.js';
import type { OciCreateRequest, OciProcessPlan } from '../../src/kernel/oci-types.js';

/** src/kernel/oci.ts ↔ native/src/oci-request.c: the records, and what never reaches C. */

const MS_BIND = 0x1000, MS_REC = 0x4000, MS_RDONLY = 0x1, MS_SLAVE = 0x80000, MS_PRIVATE = 0x40000;

const process0: OciProcessPlan = {
  args: ['sh', '-c', 'true'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, additionalGids: [],
  capabilities: { bounding: 0x401n, effective: 0x400n, permitted: 0x400n, inheritable: 0n, ambient: 0x400n },
  rlimits: [], noNewPrivileges: false, terminal: false,
};

function req(over: Partial<OciCreateRequest> = {}, proc: Partial<OciProcessPlan> = {}): OciCreateRequest {
  return {
    id: 'c1', rootfs: '/b/rootfs', readonlyRoot: false, namespaces: [{ type: 'pid' }, { type: 'mount' }],
    uidMappings: [], gidMappings: [], mounts: [], devices: [], maskedPaths: [], readonlyPaths: [], sysctl: [],
    rootfsPropagation: MS_SLAVE | MS_REC, noPivot: false, createContainerHooks: [], startContainerHooks: [],
    fifoPath: '/run/x/exec.fifo', stateFile: '/run/x/state.json', preserveFds: 0, ...over,
    process: { ...process0, ...proc },
  };
}

function records(b: Buffer): string[] {
  const s = b.toString('utf8');
  assert.ok(s.endsWith('\0'));
  return s.slice(0, -1).split('\0');
}

test('groups keep their order: a mount is m_dst then its keys, propagation repeated', () => {
  const r = records(encodeOciCreate(req({
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', flags: 0, propagation: [], data: '', recursiveReadonly: false },
      { destination: '/data', type: 'bind', source: '/srv', flags: MS_BIND | MS_REC | MS_RDONLY, propagation: [MS_PRIVATE, MS_SLAVE], data: '', recursiveReadonly: true },
    ],
    namespaces: [{ type: 'mount' }, { type: 'network', path: '/run/netns/x' }, { type: 'user' }],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    timeOffsets: undefined,
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }],
    sysctl: [['net.ipv4.ip_forward', '1'], ['net/ipv4/conf/eth0.100/forwarding', '1']],
    createContainerHooks: [{ path: '/usr/bin/hook', args: [], env: ['A=1'], timeout: 5 }],
  }, { rlimits: [{ resource: 7, soft: 1024n, hard: (1n << 64n) - 1n }], seccomp: { program: new Uint8Array(16).fill(0xab), flags: 2 } })));
  const i = r.indexOf('m_dst=/data');
  assert.deepEqual(r.slice(i, i + 7), ['m_dst=/data', 'm_type=bind', 'm_src=/srv', `m_flags=${MS_BIND | MS_REC | MS_RDONLY}`, `m_prop=${MS_PRIVATE}`, `m_prop=${MS_SLAVE}`, 'm_rro=1']);
  assert.ok(r.includes('ns=mount') && r.includes('ns_path=network:/run/netns/x') && r.includes('ns=user'));
  assert.ok(r.includes('uid_map=0 100000 65536') && r.includes('gid_map=0 100000 65536'));
  const d = r.indexOf('d_path=/dev/fuse');
  assert.deepEqual(r.slice(d, d + 7), ['d_path=/dev/fuse', 'd_type=c', 'd_major=10', 'd_minor=229', `d_mode=${0o666}`, 'd_uid=0', 'd_gid=0']);
  assert.ok(r.includes('sysctl=net.ipv4.ip_forward=1'));
  assert.ok(r.includes('sysctl=net/ipv4/conf/eth0.100/forwarding=1'));
  const h = r.indexOf('h_kind=cc');
  assert.deepEqual(r.slice(h, h + 5), ['h_kind=cc', 'h_path=/usr/bin/hook', 'h_arg=/usr/bin/hook', 'h_env=A=1', 'h_timeout=5']);
  assert.ok(r.includes('rlimit=7 1024 18446744073709551615'));
  assert.ok(r.includes(`seccomp_bpf=${'ab'.repeat(16)}`) && r.includes('seccomp_flags=2'));
  assert.ok(r.includes('cap_b=401') && r.includes('cap_a=400') && r.includes('cap_i=0'));
  assert.deepEqual(r.filter((x) => x.startsWith('argv=')), ['argv=sh', 'argv=-c', 'argv=true']);
});

test('exec records: leader, detach, fds, the process', () => {
  const r = records(encodeOciExec({ leaderPid: 42, process: process0, consoleFd: 7, preserveFds: 1, detach: true }));
  for (const k of ['leader=42', 'detach=1', 'console_fd=7', 'preserve_fds=1', 'cwd=/', 'uid=0']) assert.ok(r.includes(k), k);
});

test('relative paths, NUL, numbers out of range and impossible combinations never reach C', () => {
  const bad = (over: Partial<OciCreateRequest>, proc: Partial<OciProcessPlan> = {}): void => {
    assert.throws(() => encodeOciCreate(req(over, proc)),
      (e: unknown) => e instanceof KernelError && e.stage === 'parent' && e.syscall === 'validate' && e.errnoName === 'EINVAL');
  };
  bad({ rootfs: 'relative' });
  bad({ fifoPath: 'x/exec.fifo' });
  bad({ mounts: [{ destination: 'dev', type: 'tmpfs', source: 'tmpfs', flags: 0, propagation: [], data: '', recursiveReadonly: false }] });
  bad({ hostname: 'a\0b' });
  bad({}, { uid: -1 });
  bad({}, { uid: 2 ** 32 - 1 });
  bad({}, { umask: 0o1000 });
  bad({}, { args: [] });
  bad({}, { env: ['NOEQUALS'] });
  bad({}, { cwd: 'tmp' });
  bad({ sysctl: [['net..x', '1']] });
  bad({ sysctl: [['../../etc/x', '1']] });
  bad({ uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }); // no new user namespace
  bad({ timeOffsets: { monotonic: { secs: 1n, nanosecs: 0 } } }); // no new time namespace
  bad({ namespaces: [{ type: 'mount' }, { type: 'time' }], timeOffsets: { monotonic: { secs: 1n, nanosecs: 1e9 } } });
  bad({}, { rlimits: [{ resource: 7, soft: 10n, hard: 5n }] });
  bad({}, { rlimits: [{ resource: 7, soft: -1n, hard: 5n }] });
  bad({}, { capabilities: { ...process0.capabilities, bounding: 1n << 64n } });
  bad({}, { seccomp: { program: new Uint8Array(7), flags: 0 } });
  bad({ namespaces: [{ type: 'pid' }] }); // no mount namespace: the host's mounts
  bad({ namespaces: [{ type: 'mount' }, { type: 'mount' }] });
  bad({ namespaces: [{ type: 'mount' }, { type: 'network', path: 'netns/x' }] });
  bad({ devices: [{ path: '/dev/x', type: 'c', major: 4096, minor: 0, fileMode: 0o666, uid: 0, gid: 0 }] });
  bad({ createContainerHooks: [{ path: 'hook', args: [], env: [] }] });
  assert.throws(() => encodeOciExec({ leaderPid: 0, process: process0, preserveFds: 0, detach: false }),
    (e: unknown) => e instanceof KernelError && e.syscall === 'validate');
});
