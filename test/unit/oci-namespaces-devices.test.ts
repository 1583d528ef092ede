/** linux.namespaces, ID mappings, time offsets; linux.devices and the default devices. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planNamespaces } from '../../src/oci/namespaces.js';
import { DEFAULT_DEVICES, planDevices } from '../../src/oci/devices.js';
import { OciConfigError } from '../../src/oci/errors.js';
import type { Linux } from '../../src/oci/spec.js';

const fails = (field: string, text: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof OciConfigError, String(e));
  assert.equal(e.field, field);
  assert.match(e.message, text);
  return true;
};
const ns = (...types: string[]): Linux['namespaces'] => types.map((t) => (t.includes('=') ? { type: t.split('=')[0]!, path: t.split('=')[1]! } : { type: t }));
const maps = [{ containerID: 0, hostID: 100000, size: 65536 }];

test('namespaces: new or joined, in order', () => {
  const r = planNamespaces({ namespaces: ns('pid', 'network=/run/netns/cni-1', 'ipc', 'uts', 'mount', 'cgroup') }, []);
  assert.deepEqual(r.namespaces, [{ type: 'pid' }, { type: 'network', path: '/run/netns/cni-1' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }]);
  assert.deepEqual(r.uidMappings, []);
  assert.ok(!('timeOffsets' in r));
  // an empty path is "new", as in Go's omitempty
  assert.deepEqual(planNamespaces({ namespaces: [{ type: 'mount', path: '' }] }, []).namespaces, [{ type: 'mount' }]);
});

test('namespace errors', () => {
  const cases: [Linux, string, RegExp][] = [
    [{ namespaces: ns('mount', 'pid', 'pid') }, 'linux.namespaces[2].type', /'pid' repeats linux\.namespaces\[1\]/],
    [{ namespaces: ns('mount', 'net') }, 'linux.namespaces[1].type', /'net' is not a namespace type/],
    [{ namespaces: ns('mount', 'network=run/netns/x') }, 'linux.namespaces[1].path', /is not an absolute path/],
    [{ namespaces: ns('pid') }, 'linux.namespaces', /has no mount namespace/],
    [{ namespaces: ns('mount=/proc/1/ns/mnt') }, 'linux.namespaces', /joins a mount namespace by path/],
    [{ namespaces: ns('mount'), uidMappings: maps, gidMappings: maps }, 'linux.uidMappings', /needs a user namespace/],
    [{ namespaces: ns('mount'), gidMappings: maps }, 'linux.gidMappings', /needs a user namespace/],
    [{ namespaces: ns('mount', 'user') }, 'linux.uidMappings', /is required with a new user namespace/],
    [{ namespaces: ns('mount', 'user'), uidMappings: maps }, 'linux.gidMappings', /is required/],
    [{ namespaces: ns('mount', 'user'), uidMappings: [{ containerID: 0, hostID: 1, size: 0 }], gidMappings: maps }, 'linux.uidMappings[0].size', /is 0/],
    [{ namespaces: ns('mount', 'user'), uidMappings: [{ containerID: 0, hostID: 4294967295, size: 2 }], gidMappings: maps }, 'linux.uidMappings[0]', /runs past/],
    [{ namespaces: ns('mount'), timeOffsets: { monotonic: { secs: 1n } } }, 'linux.timeOffsets', /needs a time namespace/],
    [{ namespaces: ns('mount', 'time=/proc/1/ns/time'), timeOffsets: { monotonic: { secs: 1n } } }, 'linux.timeOffsets', /joined by path/],
    [{ namespaces: ns('mount', 'time'), timeOffsets: { realtime: { secs: 1n } } }, 'linux.timeOffsets.realtime', /is not a clock/],
  ];
  for (const [linux, field, text] of cases) assert.throws(() => planNamespaces(linux, []), fails(field, text), field);
});

test('user namespace: mappings with a new one; ignored (with a warning) when joined by path', () => {
  const r = planNamespaces({ namespaces: ns('mount', 'user'), uidMappings: maps, gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }] }, []);
  assert.deepEqual(r.uidMappings, maps);
  assert.deepEqual(r.gidMappings, [{ containerID: 0, hostID: 200000, size: 1000 }]);
  const warnings: string[] = [];
  const j = planNamespaces({ namespaces: ns('mount', 'user=/proc/42/ns/user'), uidMappings: maps, gidMappings: maps }, warnings);
  assert.deepEqual([j.uidMappings, j.gidMappings], [[], []]);
  assert.equal(warnings.length, 1);
});

test('time offsets go with a new time namespace', () => {
  const r = planNamespaces({ namespaces: ns('mount', 'time'), timeOffsets: { monotonic: { secs: 86400n, nanosecs: 5 }, boottime: { secs: -10n } } }, []);
  assert.deepEqual(r.timeOffsets, { monotonic: { secs: 86400n, nanosecs: 5 }, boottime: { secs: -10n, nanosecs: 0 } });
});

test('devices: defaults first, config.json entries win by path, fileMode default 0666', () => {
  const all = planDevices(undefined);
  assert.deepEqual(all.map((d) => `${d.path} ${d.type} ${d.major}:${d.minor} ${d.fileMode.toString(8)}`), [
    '/dev/null c 1:3 666', '/dev/zero c 1:5 666', '/dev/full c 1:7 666', '/dev/random c 1:8 666', '/dev/urandom c 1:9 666', '/dev/tty c 5:0 666',
  ]);
  assert.equal(DEFAULT_DEVICES.length, 6);
  const r = planDevices([
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o20666 /* S_IFCHR|0666, as podman writes it */, uid: 0, gid: 0 },
    { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 1000 },
    { path: '/dev/sda', type: 'b', major: 8, minor: 0 },
    { path: '/dev/kmsg', type: 'u', major: 1, minor: 11 },
    { path: '/dev/myfifo', type: 'p' },
  ]);
  assert.deepEqual(r.map((d) => d.path), ['/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/fuse', '/dev/null', '/dev/sda', '/dev/kmsg', '/dev/myfifo']);
  assert.deepEqual(r[5], { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 });
  assert.deepEqual(r[6], { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 1000 });
  assert.deepEqual(r[7], { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o666, uid: 0, gid: 0 });
  assert.deepEqual(r[9], { path: '/dev/myfifo', type: 'p', major: 0, minor: 0, fileMode: 0o666, uid: 0, gid: 0 });
});

test('device errors', () => {
  const cases: [Parameters<typeof planDevices>[0], string, RegExp][] = [
    [[{ path: '/dev/x', type: 'x', major: 1, minor: 1 }], 'linux.devices[0].type', /'x' is not a device type/],
    [[{ path: 'dev/x', type: 'c', major: 1, minor: 1 }], 'linux.devices[0].path', /not an absolute path/],
    [[{ path: '/dev/x', type: 'c', minor: 1 }], 'linux.devices[0].major', /is required for a 'c' device/],
    [[{ path: '/dev/x', type: 'b', major: 1 }], 'linux.devices[0].minor', /is required/],
    [[{ path: '/dev/x', type: 'c', major: 1, minor: 1 }, { path: '/dev//x', type: 'c', major: 1, minor: 2 }], 'linux.devices[1].path', /listed twice/],
  ];
  for (const [d, field, text] of cases) assert.throws(() => planDevices(d), fails(field, text), field);
});
