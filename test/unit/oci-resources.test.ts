/** linux.resources → systemd properties (runc's systemd driver), the device list, unified, annotations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuotaProperties, cpuWeightFromShares, deviceProperties, ioWeightFromBlkio, rangeMask, resourceProperties, swapMax, updateResourceProperties } from '../../src/oci/resources.js';
import { annotationProperties, isValidMachineName, machineName, MACHINE_NAME_ANNOTATION } from '../../src/oci/annotations.js';
import { parseResources } from '../../src/oci/spec.js';
import { OciConfigError } from '../../src/oci/errors.js';
import type { UnitProperty } from '../../src/systemd/properties.js';
import { marshal } from '../../src/systemd/dbus/marshal.js';

const MAX = (1n << 64n) - 1n;
const t = (name: string, value: bigint): UnitProperty => [name, { signature: 't', value }];
const fails = (field: string, text: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof OciConfigError, String(e));
  assert.equal(e.field, field);
  assert.match(e.message, text);
  return true;
};
/** Resources of an update document, no device list. */
const upd = (json: unknown, warnings: string[] = []): UnitProperty[] => resourceProperties(parseResources(json), { path: '', forUpdate: true, warnings });

test('cpu.shares → CPUWeight, runc 1.1 and crun: 1 + (shares-2)*9999/262142', () => {
  const cases: [bigint, bigint][] = [[2n, 1n], [3n, 1n], [1024n, 39n], [512n, 20n], [262144n, 10000n], [100000n, 3815n]];
  for (const [s, w] of cases) assert.equal(cpuWeightFromShares(s), w, `shares ${s}`);
  for (const bad of [1n, 262145n]) assert.throws(() => cpuWeightFromShares(bad), OciConfigError);
  assert.deepEqual(upd({ cpu: { shares: 1024 } }), [t('CPUWeight', 39n)]);
  assert.deepEqual(upd({ cpu: { shares: 0 } }), [], '0 is unset');
});

test('blockIO.weight → IOWeight: 1 + (w-10)*9999/990', () => {
  const cases: [number, bigint][] = [[10, 1n], [1000, 10000n], [500, 4950n], [100, 910n]];
  for (const [w, want] of cases) assert.equal(ioWeightFromBlkio(w), want, `weight ${w}`);
  assert.throws(() => ioWeightFromBlkio(9), fails('linux.resources.blockIO.weight', /9 is out of range 10\.\.1000/));
  assert.deepEqual(upd({ blockIO: { weight: 500 } }), [t('IOWeight', 4950n)]);
});

test('cpu.quota/period → CPUQuotaPerSecUSec rounded up to 10 ms, CPUQuotaPeriodUSec when set', () => {
  const cases: [bigint, bigint, UnitProperty[]][] = [
    [50000n, 100000n, [t('CPUQuotaPeriodUSec', 100000n), t('CPUQuotaPerSecUSec', 500000n)]],
    [33333n, 100000n, [t('CPUQuotaPeriodUSec', 100000n), t('CPUQuotaPerSecUSec', 340000n)]],
    [20000n, 0n, [t('CPUQuotaPerSecUSec', 200000n)]],
    [150000n, 50000n, [t('CPUQuotaPeriodUSec', 50000n), t('CPUQuotaPerSecUSec', 3000000n)]],
    [-1n, 100000n, [t('CPUQuotaPeriodUSec', 100000n), t('CPUQuotaPerSecUSec', MAX)]],
    [-1n, 0n, [t('CPUQuotaPerSecUSec', MAX)]],
    [0n, 0n, []],
    [1n, 100000n, [t('CPUQuotaPeriodUSec', 100000n), t('CPUQuotaPerSecUSec', 10000n)]],
  ];
  for (const [q, p, want] of cases) assert.deepEqual(cpuQuotaProperties(q, p), want, `quota ${q} period ${p}`);
  assert.throws(() => cpuQuotaProperties(1000n, 999n), fails('linux.resources.cpu.period', /out of range 1000\.\.1000000/));
});

test('memory: MemoryMax, MemoryLow, and swap as v2 counts it (swap - limit)', () => {
  assert.deepEqual(upd({ memory: { limit: 67108864, swap: 134217728, reservation: 33554432 } }),
    [t('MemoryMax', 67108864n), t('MemoryLow', 33554432n), t('MemorySwapMax', 67108864n)]);
  assert.deepEqual(upd({ memory: { limit: -1 } }), [t('MemoryMax', MAX), t('MemorySwapMax', MAX)], 'unlimited memory and no swap given: both unlimited');
  assert.deepEqual(upd({ memory: { limit: 1000, swap: -1 } }), [t('MemoryMax', 1000n), t('MemorySwapMax', MAX)]);
  assert.deepEqual(upd({ memory: { limit: 1000, swap: 1000 } }), [t('MemoryMax', 1000n)], 'swap = limit: no swap, nothing to set beyond the default');
  const cases: [bigint, bigint, bigint][] = [[0n, -1n, -1n], [-1n, 0n, -1n], [0n, 100n, 0n], [-1n, -1n, -1n], [500n, -1n, 500n], [300n, 100n, 200n]];
  for (const [swap, limit, want] of cases) assert.equal(swapMax(swap, limit), want, `swap ${swap} limit ${limit}`);
  assert.throws(() => swapMax(100n, 0n), fails('linux.resources.memory.swap', /without memory\.limit/));
  assert.throws(() => swapMax(100n, 200n), fails('linux.resources.memory.swap', /below memory\.limit/));
  assert.throws(() => upd({ memory: { swap: 100 } }), fails('memory.swap', /without memory\.limit/));
});

test('pids.limit → TasksMax: -1 and 0 unlimited', () => {
  assert.deepEqual(upd({ pids: { limit: 50 } }), [t('TasksMax', 50n)]);
  assert.deepEqual(upd({ pids: { limit: -1 } }), [t('TasksMax', MAX)]);
  assert.deepEqual(upd({ pids: { limit: 0 } }), [t('TasksMax', MAX)]);
  assert.deepEqual(upd({ pids: { limit: 1 } }), [t('TasksMax', 1n)]);
});

test('cpus/mems → AllowedCPUs/AllowedMemoryNodes bitmasks', () => {
  const cases: [string, number[]][] = [['0', [1]], ['0-3', [0x0f]], ['1,3-5', [0x3a]], ['8', [0, 1]], [' 0 , 9 ,', [1, 2]], ['0-15', [0xff, 0xff]]];
  for (const [text, bytes] of cases) assert.deepEqual(rangeMask(text, 'p'), new Uint8Array(bytes), text);
  for (const bad of ['', ',', 'a', '3-1', '0-8192', '-1']) assert.throws(() => rangeMask(bad, 'p'), OciConfigError, bad);
  assert.deepEqual(upd({ cpu: { cpus: '0-1', mems: '0' } }), [['AllowedCPUs', { signature: 'ay', value: new Uint8Array([3]) }], ['AllowedMemoryNodes', { signature: 'ay', value: new Uint8Array([1]) }]]);
  assert.throws(() => upd({ cpu: { cpus: '0-x' } }), fails('cpu.cpus', /is not a list like 0-3,8/));
});

test('block I/O throttles and device weights become systemd device properties', () => {
  assert.deepEqual(upd({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 1000 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }] } }), [
    ['IODeviceWeight', { signature: 'a(st)', value: [['/dev/block/8:0', 10000n]] }],
    ['IOReadBandwidthMax', { signature: 'a(st)', value: [['/dev/block/8:0', 1048576n]] }],
    ['IOWriteIOPSMax', { signature: 'a(st)', value: [['/dev/block/8:16', 100n]] }],
  ]);
});

test('a device weight out of range names its entry', () => {
  assert.throws(() => upd({ blockIO: { weightDevice: [{ major: 8, minor: 0 }, { major: 8, minor: 16, weight: 5 }] } }), fails('blockIO.weightDevice[1].weight', /5 is out of range 10\.\.1000/));
});

test('what cgroup v2 lacks is skipped with a warning; what systemd cannot set is refused', () => {
  const warnings: string[] = [];
  assert.deepEqual(upd({ memory: { kernel: -1, kernelTCP: -1, swappiness: 0, disableOOMKiller: true }, blockIO: { leafWeight: 10 }, network: { classID: 1 } }, warnings), []);
  assert.equal(warnings.length, 6);
  assert.match(warnings.join('\n'), /memory\.kernel is ignored/);
  const cases: [unknown, string, RegExp][] = [
    [{ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }, 'hugepageLimits', /not supported/],
    [{ rdma: { mlx5_1: { hcaHandles: 3 } } }, 'rdma', /not supported/],
    [{ cpu: { burst: 1000 } }, 'cpu.burst', /not supported/],
    [{ cpu: { realtimeRuntime: 950000 } }, 'cpu.realtimeRuntime', /cgroup v1/],
    [{ cpu: { idle: 2 } }, 'cpu.idle', /not 0 or 1/],
  ];
  for (const [json, field, text] of cases) assert.throws(() => upd(json), fails(field, text), field);
  assert.deepEqual(upd({ cpu: { idle: 1, shares: 1024 } }), [t('CPUWeight', 0n)], 'idle wins over shares (runc)');
});

test('the device list: runc\'s deny-all + defaults → DevicePolicy=strict and DeviceAllow entries', () => {
  const props = deviceProperties([{ allow: false, access: 'rwm' }]);
  assert.deepEqual(props, [
    ['DeviceAllow', { signature: 'a(ss)', value: [] }],
    ['DevicePolicy', { signature: 's', value: 'strict' }],
    ['DeviceAllow', { signature: 'a(ss)', value: [
      ['char-*', 'm'], ['block-*', 'm'], ['/dev/char/1:3', 'rwm'], ['/dev/char/1:8', 'rwm'], ['/dev/char/1:7', 'rwm'], ['/dev/char/5:0', 'rwm'],
      ['/dev/char/1:5', 'rwm'], ['/dev/char/1:9', 'rwm'], ['char-136', 'rwm'], ['/dev/char/5:2', 'rwm'], ['/dev/char/10:200', 'rwm'],
    ] }],
  ]);
  // podman --device /dev/fuse: an allow after deny-all
  const fuse = deviceProperties([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }]);
  assert.deepEqual((fuse[2]![1].value as [string, string][])[0], ['/dev/char/10:229', 'rwm']);
  // a deny after an allow takes the access away again
  const denied = deviceProperties([{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 8, minor: -1, access: 'rwm' }, { allow: false, type: 'b', major: 8, minor: -1, access: 'w' }]);
  assert.deepEqual((denied[2]![1].value as [string, string][])[0], ['block-8', 'rm']);
  // privileged: allow-all → no policy at all
  assert.deepEqual(deviceProperties([{ allow: true, access: 'rwm' }]), [['DeviceAllow', { signature: 'a(ss)', value: [] }], ['DevicePolicy', { signature: 's', value: 'auto' }]]);
  // a block list after allow-all cannot be said to systemd: deny-all, as runc
  const warnings: string[] = [];
  const bl = deviceProperties([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }], 'linux.resources.devices', warnings);
  assert.deepEqual(bl[1], ['DevicePolicy', { signature: 's', value: 'strict' }]);
  assert.equal(warnings.length, 1);
  // any major, one minor: systemd has no such rule
  const w2: string[] = [];
  deviceProperties([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', minor: 1, access: 'r' }], 'd', w2);
  assert.match(w2[0]!, /cannot be expressed/);
  assert.throws(() => deviceProperties([{ allow: true, type: 'x', access: 'r' }]), fails('linux.resources.devices[0].type', /'x' is not a, b or c/));
  assert.throws(() => deviceProperties([{ allow: true, type: 'c', major: 1, minor: 1 }]), fails('linux.resources.devices[0].access', /is not some of r, w, m/));
  assert.throws(() => deviceProperties([{ allow: true, type: 'c', access: 'rwx' }]), OciConfigError);
  // each value marshals with its signature (a(ss) with an empty array included)
  for (const [name, v] of props) assert.ok(marshal(v.signature, [v.value]).length > 0, name);
});

test('create always sets a device list; update only when the document has one', () => {
  assert.equal(resourceProperties(undefined).filter(([n]) => n === 'DevicePolicy').length, 1);
  assert.deepEqual(upd({}), []);
  assert.equal(upd({ devices: [{ allow: false, access: 'rwm' }] }).length, 3);
});

test('unified: the keys runc converts, others refused', () => {
  const u = (unified: Record<string, string>, forUpdate = true): UnitProperty[] => resourceProperties({ unified }, { path: 'linux.resources', forUpdate });
  assert.deepEqual(u({ 'memory.max': '1048576', 'memory.high': 'max', 'memory.low': '10', 'memory.min': '0', 'memory.swap.max': '0' }),
    [t('MemoryMax', 1048576n), t('MemoryHigh', MAX), t('MemoryLow', 10n), t('MemoryMin', 0n), t('MemorySwapMax', 0n)]);
  assert.deepEqual(u({ 'pids.max': 'max' }), [t('TasksMax', MAX)]);
  assert.deepEqual(u({ 'pids.max': '0' }), [t('TasksMax', 1n)]);
  assert.deepEqual(u({ 'cpu.weight': '200' }), [t('CPUWeight', 200n)]);
  assert.deepEqual(u({ 'cpu.weight': '200', 'cpu.idle': '1' }), [t('CPUWeight', 0n)]);
  assert.deepEqual(u({ 'cpu.max': '50000 100000' }), [t('CPUQuotaPeriodUSec', 100000n), t('CPUQuotaPerSecUSec', 500000n)]);
  assert.deepEqual(u({ 'cpu.max': 'max' }), [t('CPUQuotaPeriodUSec', 100000n), t('CPUQuotaPerSecUSec', MAX)]);
  assert.deepEqual(u({ 'cpuset.cpus': '0-1' }), [['AllowedCPUs', { signature: 'ay', value: new Uint8Array([3]) }]]);
  assert.deepEqual(u({ 'memory.oom.group': '1' }, false).filter(([n]) => !n.startsWith('Device')), [['OOMPolicy', { signature: 's', value: 'kill' }]]);
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ 'io.max': '8:0 rbps=1' }, 'linux.resources.unified["io.max"]', /cannot be set through systemd/],
    [{ 'memory/max': '1' }, 'linux.resources.unified["memory/max"]', /no slashes/],
    [{ memorymax: '1' }, 'linux.resources.unified.memorymax', /CONTROLLER\.PARAMETER/],
    [{ 'memory.max': '1g' }, 'linux.resources.unified["memory.max"]', /'1g' is not a number or 'max'/],
    [{ 'cpu.weight': '0' }, 'linux.resources.unified["cpu.weight"]', /out of range 1\.\.10000/],
    [{ 'cpu.max': '1 2 3' }, 'linux.resources.unified["cpu.max"]', /QUOTA \[PERIOD\]/],
    [{ 'memory.oom.group': '1' }, 'linux.resources.unified["memory.oom.group"]', /only be set at create/],
  ];
  for (const [unified, field, text] of cases) assert.throws(() => u(unified), fails(field, text), field);
});

test('annotations: org.systemd.property.NAME as GVariant text, runc\'s rules', () => {
  const props = annotationProperties({
    'org.systemd.property.TimeoutStopUSec': 'uint64 10000000',
    'org.systemd.property.KillSignal': '15',
    'org.systemd.property.CollectMode': "'inactive-or-failed'",
    'org.systemd.property.Description': '"a \\"quoted\\" one"',
    'org.systemd.property.SendSIGHUP': 'true',
    'org.systemd.property.RuntimeMaxSec': 'uint64 60',
    'org.systemd.property.CPUWeight': 'uint32 7',
    'io.container.manager': 'libpod',
  });
  assert.deepEqual(props, [
    ['TimeoutStopUSec', { signature: 't', value: 10000000n }],
    ['KillSignal', { signature: 'i', value: 15 }],
    ['CollectMode', { signature: 's', value: 'inactive-or-failed' }],
    ['Description', { signature: 's', value: 'a "quoted" one' }],
    ['SendSIGHUP', { signature: 'b', value: true }],
    ['RuntimeMaxUSec', { signature: 't', value: 60000000n }],
    ['CPUWeight', { signature: 'u', value: 7 }],
  ]);
  for (const [, v] of props) assert.ok(marshal(v.signature, [v.value]).length > 0);
  const key = (n: string): string => `annotations["org.systemd.property.${n}"]`;
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ 'org.systemd.property.AB': '1' }, key('AB'), /3 or more latin letters/],
    [{ 'org.systemd.property.Memory_Max': '1' }, key('Memory_Max'), /latin letters/],
    [{ 'org.systemd.property.MemoryMax': '4294967296' }, key('MemoryMax'), /does not fit an int32: write 'uint64 4294967296'/],
    [{ 'org.systemd.property.MemoryMax': 'uint32 -1' }, key('MemoryMax'), /out of range for uint32/],
    [{ 'org.systemd.property.Names': "['a', 1]" }, key('Names'), /only arrays of strings/],
    [{ 'org.systemd.property.Names': '[]' }, key('Names'), /an empty array has no type/],
    [{ 'org.systemd.property.Names': "['a]" }, key('Names'), /unterminated/],
    [{ 'org.systemd.property.TimeoutStopSec': 'false' }, key('TimeoutStopSec'), /takes a number of seconds/],
    [{ 'org.systemd.property.TimeoutStopSec': "'covfefe'" }, key('TimeoutStopSec'), /takes a number of seconds/],
    [{ 'org.systemd.property.Number1': '1' }, key('Number1'), /latin letters/],
    [{ 'org.systemd.property.ValidName': 'invalid-value' }, key('ValidName'), /not understood/],
    [{ 'org.systemd.property.Description': "'it's'" }, key('Description'), /unescaped/],
    [{ 'org.systemd.property.RuntimeMaxSec': "'x'" }, key('RuntimeMaxSec'), /takes a number of seconds/],
    [{ 'org.systemd.property.PIDs': 'uint32 1' }, key('PIDs'), /sets itself/],
  ];
  for (const [a, field, text] of cases) assert.throws(() => annotationProperties(a), fails(field, text), field);
});

test('annotations: runc\'s TestInitSystemdProps cases, and CRI-O\'s string arrays', () => {
  const one = (k: string, v: string): UnitProperty => annotationProperties({ [`org.systemd.property.${k}`]: v })[0]!;
  const cases: [string, string, UnitProperty][] = [
    ['TimeoutStopUSec', 'uint64 123456789', t('TimeoutStopUSec', 123456789n)],
    ['TimeoutStopSec', '456', t('TimeoutStopUSec', 456000000n)],
    ['TimeoutStopSec', 'byte 234', t('TimeoutStopUSec', 234000000n)],
    ['TimeoutStopSec', 'int16 234', t('TimeoutStopUSec', 234000000n)],
    ['TimeoutStopSec', 'uint16 234', t('TimeoutStopUSec', 234000000n)],
    ['TimeoutStopSec', 'int32 234', t('TimeoutStopUSec', 234000000n)],
    ['TimeoutStopSec', 'uint32 234', t('TimeoutStopUSec', 234000000n)],
    ['TimeoutStopSec', 'int64 234', t('TimeoutStopUSec', 234000000n)],
    ['TimeoutStopSec', 'uint64 234', t('TimeoutStopUSec', 234000000n)],
    ['TimeoutStopSec', '234.789', t('TimeoutStopUSec', 234789000n)],
    ['FOOSec', '123', ['FOOSec', { signature: 'i', value: 123 }]],
    ['CollectMode', "'inactive-or-failed'", ['CollectMode', { signature: 's', value: 'inactive-or-failed' }]],
    ['After', "['crio.service']", ['After', { signature: 'as', value: ['crio.service'] }]],
    ['Wants', "['a.service', \"b,c.service\"]", ['Wants', { signature: 'as', value: ['a.service', 'b,c.service'] }]],
    ['Wants', '@as []', ['Wants', { signature: 'as', value: [] }]],
    ['CPUQuotaPerSecUSec', 'double 1', ['CPUQuotaPerSecUSec', { signature: 'd', value: 1 }]],
  ];
  for (const [k, v, want] of cases) {
    const got = one(k, v);
    assert.deepEqual(got, want, `${k}=${v}`);
    assert.ok(marshal(got[1].signature, [got[1].value]).length > 0);
  }
  assert.deepEqual(annotationProperties({ 'some.other.annotation': '0' }), []);
});

test('machine names: the annotation, else the ID, else the ID made a hostname', () => {
  const id64 = 'a'.repeat(64);
  for (const ok of ['web', 'a-b.c', id64, 'A1']) assert.ok(isValidMachineName(ok), ok);
  for (const bad of ['', 'a_b', '.a', 'a.', 'a..b', 'a'.repeat(65), 'a b']) assert.ok(!isValidMachineName(bad), bad);
  const w: string[] = [];
  assert.equal(machineName(id64, { [MACHINE_NAME_ANNOTATION]: 'web-1' }, w), 'web-1');
  assert.equal(machineName(id64, {}, w), id64);
  assert.deepEqual(w, []);
  assert.equal(machineName('abc', { [MACHINE_NAME_ANNOTATION]: 'not_valid' }, w), 'abc');
  assert.equal(w.length, 1);
  assert.equal(machineName('k8s_pod_1', undefined, w), 'k8s-pod-1');
  assert.equal(machineName('x'.repeat(70), undefined, w), 'x'.repeat(64));
  assert.equal(machineName('___', undefined, w), '---');
});

test('update --resources: only what the file sets, messages naming the file', () => {
  assert.deepEqual(updateResourceProperties({ memory: { limit: 134217728 }, pids: { limit: 100 } }), [t('MemoryMax', 134217728n), t('TasksMax', 100n)]);
  assert.deepEqual(updateResourceProperties({}), []);
  assert.throws(() => updateResourceProperties({ cpu: { shares: 1 } }, [], '/tmp/r.json'), (e: unknown) =>
    e instanceof OciConfigError && e.message === '/tmp/r.json: cpu.shares 1 is out of range 2..262144');
  assert.throws(() => updateResourceProperties({ memory: { limit: 'x' } }), /^OciConfigError: resources: memory\.limit must be an integer/);
  assert.throws(() => updateResourceProperties({ unified: { 'memory.oom.group': '1' } }), /resources: unified\["memory\.oom\.group"\] can only be set at create/);
});
