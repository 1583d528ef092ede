/** cgroupsPath, seccomp, planCreate on a podman 4.3 and a `runc spec` config.json, state and features JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSlice, unitForCgroupsPath } from '../../src/oci/cgroups-path.js';
import { planSeccomp } from '../../src/oci/seccomp.js';
import { planCreate } from '../../src/oci/plan.js';
import { parseSpec, type Spec } from '../../src/oci/spec.js';
import { stateJson } from '../../src/oci/state.js';
import { featuresJson } from '../../src/oci/features.js';
import { MS } from '../../src/oci/mounts.js';
import { OciConfigError } from '../../src/oci/errors.js';
import { capabilityMask } from '../../src/kernel/caps.js';
import { marshal } from '../../src/systemd/dbus/marshal.js';

// build/test/unit/ → the checkout
const FIXTURES = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test/fixtures/oci');
const fixture = (name: string): Spec => parseSpec(JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')));
const PODMAN_ID = '3f6a2c1b9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a';

const fails = (field: string, text: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof OciConfigError, String(e));
  assert.equal(e.field, field);
  assert.match(e.message, text);
  return true;
};

test('cgroupsPath with --systemd-cgroup: SLICE:PREFIX:NAME', () => {
  const sd = { id: 'c1', systemdCgroup: true };
  const cases: [string | undefined, { slice: string; name: string }][] = [
    [undefined, { slice: 'machine.slice', name: 'tsmachine-oci-c1.scope' }],
    ['', { slice: 'machine.slice', name: 'tsmachine-oci-c1.scope' }],
    [`machine.slice:libpod:${PODMAN_ID}`, { slice: 'machine.slice', name: `libpod-${PODMAN_ID}.scope` }],
    [':docker:abc', { slice: 'system.slice', name: 'docker-abc.scope' }],
    ['system.slice:cri-containerd:abc', { slice: 'system.slice', name: 'cri-containerd-abc.scope' }],
    ['kubepods-besteffort.slice::pod1.slice', { slice: 'kubepods-besteffort.slice', name: 'pod1.slice' }],
    ['user.slice::abc', { slice: 'user.slice', name: 'abc.scope' }],
    ['-.slice:p:n', { slice: '-.slice', name: 'p-n.scope' }],
  ];
  for (const [path, want] of cases) assert.deepEqual(unitForCgroupsPath(path, sd), want, String(path));
  const bad: [string, RegExp][] = [
    ['machine.slice:libpod', /is not SLICE:PREFIX:NAME/], ['a:b:c:d', /is not SLICE:PREFIX:NAME/], ['machine:libpod:x', /not a valid slice name/],
    ['a--b.slice:p:n', /not a valid slice name/], ['-a.slice:p:n', /not a valid slice name/], ['a/b.slice:p:n', /not a valid slice name/],
    ['.slice:p:n', /not a valid slice name/], ['machine.slice:p:', /empty NAME/], ['machine.slice:p:a b', /not a valid systemd unit name/],
  ];
  for (const [path, text] of bad) assert.throws(() => unitForCgroupsPath(path, sd), fails('linux.cgroupsPath', text), path);
  assert.equal(checkSlice('kubepods-burstable-pod1.slice'), 'kubepods-burstable-pod1.slice');
});

test('cgroupsPath without --systemd-cgroup: only the default; a cgroupfs path is refused', () => {
  assert.deepEqual(unitForCgroupsPath(undefined, { id: 'x', systemdCgroup: false }), { slice: 'machine.slice', name: 'tsmachine-oci-x.scope' });
  assert.throws(() => unitForCgroupsPath('/default/x', { id: 'x', systemdCgroup: false }), (e: unknown) => e instanceof OciConfigError &&
    e.message === "config.json: linux.cgroupsPath '/default/x' is a cgroupfs path; tsmachine-oci creates systemd scopes only: pass --systemd-cgroup with SLICE:PREFIX:NAME (containerd: SystemdCgroup = true; ctr run: --runc-systemd-cgroup --cgroup SLICE:PREFIX:NAME)");
});

test('seccomp: actions, operators, architectures, flags, errnoRet checked', () => {
  assert.equal(planSeccomp(undefined), undefined);
  assert.equal(planSeccomp({ defaultAction: '' }), undefined, 'empty: no filter (runc)');
  const p = planSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8n, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 2114060288n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: [], action: 'SCMP_ACT_KILL' },
    ],
  });
  assert.deepEqual(p, {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    rules: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8n, valueTwo: 0n, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 2114060288n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  });
  assert.deepEqual(planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: [] })!.flags, [], 'explicit empty flags stay empty');
  assert.deepEqual(planSeccomp({ defaultAction: 'SCMP_ACT_LOG', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC'] })!.flags, ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC']);
  const cases: [Parameters<typeof planSeccomp>[0], string, RegExp][] = [
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, 'linux.seccomp.defaultAction', /not supported by tsmachine-oci/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_NOTIFY' }] }, 'linux.seccomp.syscalls[0].action', /not supported/],
    [{ defaultAction: 'ALLOW' }, 'linux.seccomp.defaultAction', /'ALLOW' is not a seccomp action/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, 'linux.seccomp.defaultErrnoRet', /takes no errno/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }, 'linux.seccomp.syscalls[0].errnoRet', /takes no errno/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] }, 'linux.seccomp.architectures[0]', /not a seccomp architecture/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, 'linux.seccomp.flags[0]', /is not supported/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0n, op: 'EQ' }] }] }, 'linux.seccomp.syscalls[0].args[0].op', /not a seccomp operator/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ok', 'Bad Name'], action: 'SCMP_ACT_ALLOW' }] }, 'linux.seccomp.syscalls[0].names[1]', /not a system call name/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }, 'linux.seccomp.listenerPath', /no seccomp agent/],
  ];
  for (const [s, field, text] of cases) assert.throws(() => planSeccomp(s), fails(field, text), field);
});

test('planCreate: podman 4.3 `run --rm -m 64m --cpus 0.5 --pids-limit 50 busybox sh` as root', () => {
  const plan = planCreate(fixture('podman-config.json'), `/var/lib/containers/storage/overlay-containers/${PODMAN_ID}/userdata`, { id: PODMAN_ID, systemdCgroup: true });
  const r = plan.request;
  assert.equal(r.id, PODMAN_ID);
  assert.match(r.rootfs, /^\/var\/lib\/containers\/storage\/overlay\/.*\/merged$/);
  assert.equal(r.readonlyRoot, false);
  assert.deepEqual(r.namespaces.map((n) => n.path ?? n.type), ['pid', '/run/netns/netns-4b1c2d3e-5f60-7a8b-9c0d-1e2f3a4b5c6d', 'ipc', 'uts', 'mount', 'cgroup']);
  assert.equal(r.hostname, '3f6a2c1b9e8d');
  assert.deepEqual(r.mounts.map((m) => `${m.destination} ${m.type}`), [
    '/proc proc', '/dev tmpfs', '/sys sysfs', '/dev/pts devpts', '/dev/mqueue mqueue', '/etc/resolv.conf bind', '/etc/hosts bind',
    '/dev/shm bind', '/etc/hostname bind', '/run/.containerenv bind', '/sys/fs/cgroup cgroup',
  ]);
  const shm = r.mounts[7]!;
  assert.equal(shm.flags, MS.BIND | MS.NOSUID | MS.NOEXEC | MS.NODEV);
  assert.deepEqual(shm.propagation, [MS.PRIVATE | MS.REC]);
  assert.equal(r.mounts[1]!.data, 'mode=755,size=65536k');
  assert.equal(r.mounts[3]!.data, 'newinstance,ptmxmode=0666,mode=0620,gid=5');
  assert.equal(r.mounts[10]!.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY);
  assert.equal(r.devices.length, 6, 'the default devices');
  assert.deepEqual(r.sysctl, [['net.ipv4.ping_group_range', '0 0']]);
  assert.equal(r.maskedPaths.length, 11);
  assert.deepEqual(r.readonlyPaths, ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  assert.equal(r.rootfsPropagation, MS.SLAVE | MS.REC);
  assert.equal(r.noPivot, false);
  const caps = capabilityMask(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
  assert.deepEqual(r.process.capabilities, { bounding: caps, effective: caps, inheritable: 0n, permitted: caps, ambient: 0n });
  assert.deepEqual(r.process.rlimits, [{ resource: 7, soft: 1048576n, hard: 1048576n }, { resource: 6, soft: 4194304n, hard: 4194304n }]);
  assert.equal(r.process.umask, 0o22);
  assert.equal(r.process.apparmorProfile, 'containers-default-0.50.1');
  assert.equal(r.process.oomScoreAdj, 0);
  assert.deepEqual([r.createContainerHooks, r.startContainerHooks], [[], []]);
  assert.ok(!('fifoPath' in r) && !('stateFile' in r) && !('consoleFd' in r) && !('seccomp' in r.process));

  assert.deepEqual(plan.unit, { slice: 'machine.slice', name: `libpod-${PODMAN_ID}.scope` });
  assert.equal(plan.machineName, PODMAN_ID);
  const props = new Map(plan.properties.map(([n, v]) => [n, v]));
  assert.deepEqual(props.get('Delegate'), { signature: 'b', value: true });
  assert.deepEqual(props.get('MemoryMax'), { signature: 't', value: 67108864n });
  assert.deepEqual(props.get('MemorySwapMax'), { signature: 't', value: 67108864n }, 'podman asks 2x memory as memory+swap');
  assert.deepEqual(props.get('CPUQuotaPerSecUSec'), { signature: 't', value: 500000n });
  assert.deepEqual(props.get('CPUQuotaPeriodUSec'), { signature: 't', value: 100000n });
  assert.deepEqual(props.get('TasksMax'), { signature: 't', value: 50n });
  assert.deepEqual(props.get('DevicePolicy'), { signature: 's', value: 'strict' });
  assert.deepEqual(props.get('TimeoutStopUSec'), { signature: 't', value: 10000000n });
  assert.deepEqual(props.get('KillSignal'), { signature: 'i', value: 15 });
  assert.ok(!props.has('Slice') && !props.has('PIDs'), 'the runtime adds those');
  for (const [name, v] of plan.properties) assert.ok(marshal(v.signature, [v.value]).length > 0, name);

  assert.equal(plan.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(plan.seccomp!.defaultErrnoRet, 38);
  assert.equal(plan.seccomp!.rules.length, 5);
  assert.equal(plan.seccomp!.rules[3]!.args[0]!.value, 4294967295n);
  assert.equal(plan.annotations['io.container.manager'], 'libpod');
  assert.deepEqual(Object.values(plan.hooks).flat(), []);
  assert.deepEqual(plan.warnings, []);
});

test('planCreate: `runc spec` (relative rootfs, readonly, terminal, ambient caps, no cgroupsPath)', () => {
  const plan = planCreate(fixture('runc-spec-config.json'), '/home/u/bundle', { id: 'mycontainer', systemdCgroup: false });
  const r = plan.request;
  assert.equal(r.rootfs, '/home/u/bundle/rootfs');
  assert.equal(r.readonlyRoot, true);
  assert.equal(r.hostname, 'runc');
  assert.equal(r.process.terminal, true);
  assert.equal(r.process.noNewPrivileges, true);
  const caps = capabilityMask(['AUDIT_WRITE', 'KILL', 'NET_BIND_SERVICE']);
  assert.deepEqual(r.process.capabilities, { bounding: caps, effective: caps, inheritable: 0n, permitted: caps, ambient: caps });
  assert.deepEqual(r.process.rlimits, [{ resource: 7, soft: 1024n, hard: 1024n }]);
  assert.ok(!('umask' in r.process));
  assert.deepEqual(r.namespaces, [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }]);
  assert.equal(r.mounts[0]!.flags, 0);
  assert.equal(r.mounts[3]!.data, 'mode=1777,size=65536k');
  assert.deepEqual(plan.unit, { slice: 'machine.slice', name: 'tsmachine-oci-mycontainer.scope' });
  assert.equal(plan.machineName, 'mycontainer');
  assert.equal(plan.seccomp, undefined);
  assert.equal(plan.bundle, '/home/u/bundle');
  const names = plan.properties.map(([n]) => n);
  assert.deepEqual(names, ['Description', 'Delegate', 'DefaultDependencies', 'MemoryAccounting', 'CPUAccounting', 'IOAccounting', 'TasksAccounting', 'DeviceAllow', 'DevicePolicy', 'DeviceAllow']);
  assert.deepEqual(plan.warnings, []);
});

const base = (): any => JSON.parse(readFileSync(join(FIXTURES, 'runc-spec-config.json'), 'utf8'));
const create = (s: any, opts: Partial<Parameters<typeof planCreate>[2]> = {}) => planCreate(parseSpec(s), '/b', { id: 'c', systemdCgroup: true, ...opts });

test('planCreate: hooks of all six kinds, args default to [path]', () => {
  const s = base();
  s.hooks = {
    prestart: [{ path: '/usr/bin/netns-hook', args: ['netns-hook', 'up'], env: ['A=1'], timeout: 5 }],
    createRuntime: [{ path: '/bin/cr' }], createContainer: [{ path: '/bin/cc' }], startContainer: [{ path: '/bin/sc' }],
    poststart: [{ path: '/bin/ps' }], poststop: [{ path: '/bin/pst', args: [] }],
  };
  const plan = create(s);
  assert.deepEqual(plan.hooks.prestart, [{ path: '/usr/bin/netns-hook', args: ['netns-hook', 'up'], env: ['A=1'], timeout: 5 }]);
  assert.deepEqual(plan.hooks.createRuntime, [{ path: '/bin/cr', args: ['/bin/cr'], env: [] }]);
  assert.deepEqual(plan.hooks.poststop, [{ path: '/bin/pst', args: ['/bin/pst'], env: [] }]);
  assert.deepEqual(plan.request.createContainerHooks, [{ path: '/bin/cc', args: ['/bin/cc'], env: [] }]);
  assert.deepEqual(plan.request.startContainerHooks, [{ path: '/bin/sc', args: ['/bin/sc'], env: [] }]);
  s.hooks = { poststart: [{ path: 'relative' }] };
  assert.throws(() => create(s), fails('hooks.poststart[0].path', /not an absolute path/));
});

test('planCreate: errors and warnings of the whole document', () => {
  const cases: [(s: any) => void, string, RegExp][] = [
    [(s) => { delete s.process; }, 'process', /is required to create a container/],
    [(s) => { s.hostname = 'h'.repeat(65); }, 'hostname', /longer than 64 bytes/],
    [(s) => { delete s.root; }, 'root.path', /is required/],
    [(s) => { s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'uts'); }, 'hostname', /needs a uts namespace/],
    [(s) => { s.domainname = 'example.org'; s.linux.namespaces = [{ type: 'mount' }]; delete s.hostname; }, 'domainname', /needs a uts namespace/],
    [(s) => { s.linux.sysctl = { 'kernel.pid_max': '100' }; }, 'linux.sysctl["kernel.pid_max"]', /is not namespaced/],
    [(s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; s.linux.namespaces = [{ type: 'mount' }]; delete s.hostname; }, 'linux.sysctl["net.ipv4.ip_forward"]', /needs a network namespace/],
    [(s) => { s.linux.sysctl = { 'kernel.shmmax': '1' }; s.linux.namespaces = [{ type: 'mount' }]; delete s.hostname; }, 'linux.sysctl["kernel.shmmax"]', /needs an ipc namespace/],
    [(s) => { s.linux.sysctl = { 'bad key': '1' }; }, 'linux.sysctl["bad key"]', /not a sysctl name/],
    [(s) => { s.linux.sysctl = { 'kernel.hostname': 'x' }; }, 'linux.sysctl["kernel.hostname"]', /conflicts with the hostname field/],
    [(s) => { s.linux.sysctl = { 'user.max_user_namespaces': '0' }; }, 'linux.sysctl["user.max_user_namespaces"]', /needs a user namespace/],
    [(s) => { s.linux.sysctl = { 'vm/overcommit_memory': '1' }; }, 'linux.sysctl["vm/overcommit_memory"]', /is not namespaced/],
    [(s) => { s.linux.maskedPaths = ['proc/kcore']; }, 'linux.maskedPaths[0]', /not an absolute path/],
    [(s) => { s.linux.readonlyPaths = ['/ok', 'sys']; }, 'linux.readonlyPaths[1]', /not an absolute path/],
    [(s) => { s.linux.intelRdt = { closID: 'x' }; }, 'linux.intelRdt', /not supported/],
    [(s) => { s.linux.personality = { domain: 'LINUX32' }; }, 'linux.personality', /LINUX32 is not supported/],
    [(s) => { s.linux.cgroupsPath = '/x/y'; }, 'linux.cgroupsPath', /is not SLICE:PREFIX:NAME/],
    [(s) => { s.mounts.push({ destination: '/m', type: 'bind', source: '/s', options: ['idmap'] }); }, 'mounts[7].options[0]', /ID-mapped/],
    [(s) => { s.process.rlimits.push({ type: 'RLIMIT_FOO', soft: 1, hard: 1 }); }, 'process.rlimits[1].type', /'RLIMIT_FOO' is not a resource limit/],
    [(s) => { s.process.capabilities.bounding[2] = 'NET_BIND_SERVICE'; }, 'process.capabilities.bounding[2]', /not a capability name/],
    [(s) => { s.linux.resources.unified = { 'io.max': '1' }; }, 'linux.resources.unified["io.max"]', /cannot be set through systemd/],
  ];
  for (const [mutate, field, text] of cases) {
    const s = base();
    mutate(s);
    assert.throws(() => create(s), fails(field, text), field);
  }
  // accepted: net.* with a joined network namespace, a LINUX personality, sysctls with slashes
  const s = base();
  s.linux.namespaces[1] = { type: 'network', path: '/run/netns/x' };
  s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel/msgmax': '8192', 'fs.mqueue.queues_max': '10', 'kernel.domainname': 'x', 'net/ipv4/conf/eth0.100/forwarding': '1' };
  s.linux.personality = { domain: 'LINUX' };
  s.linux.rootfsPropagation = 'private';
  s.process.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2';
  s.linux.mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2';
  s.annotations = { 'org.systemd.property.CPUWeight': 'uint64 50', 'com.tsmachine.machine-name': 'web' };
  const plan = create(s, { noPivot: true });
  assert.equal(plan.request.sysctl.length, 5);
  assert.deepEqual(plan.request.sysctl[4], ['net/ipv4/conf/eth0.100/forwarding', '1'], 'as written');
  assert.equal(plan.request.rootfsPropagation, MS.PRIVATE);
  assert.equal(plan.request.noPivot, true);
  assert.equal(plan.selinuxLabel, 'system_u:system_r:container_t:s0:c1,c2');
  assert.equal(plan.mountLabel, 'system_u:object_r:container_file_t:s0:c1,c2');
  assert.equal(plan.machineName, 'web');
  assert.deepEqual(plan.properties.at(-1), ['CPUWeight', { signature: 't', value: 50n }]);
  // a uts namespace joined by path: the hostname is not set, and the plan says so
  const j = base();
  j.linux.namespaces[3] = { type: 'uts', path: '/proc/1/ns/uts' };
  const pj = create(j);
  assert.ok(!('hostname' in pj.request));
  assert.match(pj.warnings.join('\n'), /hostname 'runc' is not set/);
  // a relative bundle directory is the caller's bug
  assert.throws(() => planCreate(parseSpec(base()), 'bundle', { id: 'c', systemdCgroup: false }), OciConfigError);
});

test('state JSON: runc\'s shape, pid 0 once stopped, annotations only when there are some', () => {
  assert.deepEqual(stateJson({ id: 'c', status: 'created', pid: 42, bundle: '/b', annotations: { a: 'b' } }),
    { ociVersion: '1.1.0', id: 'c', status: 'created', pid: 42, bundle: '/b', annotations: { a: 'b' } });
  assert.deepEqual(stateJson({ id: 'c', status: 'stopped', pid: 42, bundle: '/b', annotations: {} }), { ociVersion: '1.1.0', id: 'c', status: 'stopped', pid: 0, bundle: '/b' });
  const s = stateJson({ id: 'c', status: 'paused', pid: 7, bundle: '/b', rootfs: '/b/rootfs', created: '2026-12-06T08:00:00Z' });
  assert.equal(s.pid, 7);
  assert.equal(s.rootfs, '/b/rootfs');
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(s))), ['ociVersion', 'id', 'status', 'pid', 'bundle', 'rootfs', 'created']);
});

test('features JSON: what this runtime knows, the machine\'s facts from the caller', () => {
  const f = featuresJson({ seccompEnabled: true, libseccompVersion: '2.5.4', seccompSupportedFlags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'], apparmorEnabled: true, selinuxEnabled: false, version: '0.1.0' });
  assert.equal(f.ociVersionMin, '1.0.0');
  assert.equal(f.ociVersionMax, '1.1.0');
  assert.deepEqual(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  for (const o of ['ro', 'rbind', 'rprivate', 'rro', 'nosuid', 'tmpcopyup']) assert.ok(f.mountOptions.includes(o), o);
  assert.ok(!f.mountOptions.includes('idmap'));
  assert.deepEqual(f.linux.namespaces, ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);
  assert.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN') && f.linux.capabilities.includes('CAP_CHECKPOINT_RESTORE'));
  assert.deepEqual(f.linux.cgroup, { v1: false, v2: true, systemd: true, systemdUser: false, rdma: false });
  assert.equal(f.linux.seccomp.enabled, true);
  assert.ok(!f.linux.seccomp.actions!.includes('SCMP_ACT_NOTIFY'));
  assert.ok(f.linux.seccomp.archs!.includes('SCMP_ARCH_X86_64'));
  assert.deepEqual(f.linux.seccomp.supportedFlags, ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
  assert.deepEqual([f.linux.apparmor, f.linux.selinux], [{ enabled: true }, { enabled: false }]);
  assert.deepEqual(f.annotations, { 'io.github.seccomp.libseccomp.version': '2.5.4', 'com.tsmachine.oci.version': '0.1.0' });
  assert.deepEqual(f.potentiallyUnsafeConfigAnnotations, ['org.systemd.property.']);
  const off = featuresJson({ seccompEnabled: false, apparmorEnabled: false, selinuxEnabled: false });
  assert.deepEqual(off.linux.seccomp, { enabled: false });
  assert.deepEqual(off.annotations, {});
});
