/** config.json's structural reader: types checked field by field, errors naming the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources, parseSpec } from '../../src/oci/spec.js';
import { OciConfigError, at } from '../../src/oci/errors.js';
import { TsmError } from '../../src/errors.js';

const minimal = (): Record<string, unknown> => ({ ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/' }, root: { path: 'rootfs' } });

function throwsAt(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OciConfigError, `an OciConfigError, got ${String(e)}`);
    assert.ok(e instanceof TsmError);
    assert.equal(e.field, field);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('field paths read like the JSON', () => {
  assert.equal(at('', 'process'), 'process');
  assert.equal(at(at('process', 'capabilities'), 'bounding'), 'process.capabilities.bounding');
  assert.equal(at(at('process', 'rlimits'), 0), 'process.rlimits[0]');
  assert.equal(at('annotations', 'org.systemd.property.CPUWeight'), 'annotations["org.systemd.property.CPUWeight"]');
  assert.equal(at('', 'net.ipv4.ip_forward'), '"net.ipv4.ip_forward"');
  const e = new OciConfigError('process.rlimits[0].type', "'RLIMIT_FOO' is not a resource limit");
  assert.equal(e.message, "config.json: process.rlimits[0].type 'RLIMIT_FOO' is not a resource limit");
  assert.equal(e.module, 'oci');
  assert.equal(new OciConfigError('', 'is not JSON', 'resources').message, 'resources: is not JSON');
});

test('ociVersion must be 1.x', () => {
  for (const ok of ['1.0.0', '1.0.2-dev', '1.1.0', '1.1.0-rc.1', '1.2.0', '1.0.0-rc5']) assert.equal(parseSpec({ ...minimal(), ociVersion: ok }).ociVersion, ok);
  for (const bad of ['2.0.0', '0.6.0', '1', '1.0', 'v1.0.0', '']) throwsAt(() => parseSpec({ ...minimal(), ociVersion: bad }), 'ociVersion', /is not a runtime-spec 1\.x version/);
  throwsAt(() => parseSpec({ process: {} }), 'ociVersion', /is required/);
  throwsAt(() => parseSpec([]), '', /must be an object, got an array/);
  throwsAt(() => parseSpec(null), '', /must be an object, got null/);
});

test('wrong types are errors that name the field', () => {
  const cases: [(s: any) => void, string, RegExp][] = [
    [(s) => { s.process.args = 'sh'; }, 'process.args', /must be an array, got the string "sh"/],
    [(s) => { s.process.args = ['sh', 3]; }, 'process.args[1]', /must be a string, got 3/],
    [(s) => { s.process.user.uid = -1; }, 'process.user.uid', /-1 is out of range 0\.\.4294967295/],
    [(s) => { s.process.user.uid = 1.5; }, 'process.user.uid', /must be an integer, got 1.5/],
    [(s) => { s.process.terminal = 'yes'; }, 'process.terminal', /must be true or false/],
    [(s) => { s.process.capabilities = { bounding: ['CAP_CHOWN', 7] }; }, 'process.capabilities.bounding[1]', /must be a string/],
    [(s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1 }]; }, 'process.rlimits[0].hard', /is required/],
    [(s) => { s.process.oomScoreAdj = 1001; }, 'process.oomScoreAdj', /1001 is out of range -1000\.\.1000/],
    [(s) => { s.process.oomScoreAdj = -1001; }, 'process.oomScoreAdj', /out of range/],
    [(s) => { s.process.user.umask = 0o10000; }, 'process.user.umask', /out of range/],
    [(s) => { s.root = { readonly: true }; }, 'root.path', /is required/],
    [(s) => { s.mounts = [{ type: 'tmpfs' }]; }, 'mounts[0].destination', /is required/],
    [(s) => { s.mounts = [{ destination: '/x', options: 'ro' }]; }, 'mounts[0].options', /must be an array/],
    [(s) => { s.annotations = { a: 1 }; }, 'annotations.a', /must be a string/],
    [(s) => { s.hooks = { prestart: [{ path: '/bin/true', timeout: 0 }] }; }, 'hooks.prestart[0].timeout', /out of range 1\.\./],
    [(s) => { s.linux = { namespaces: [{ path: '/proc/1/ns/net' }] }; }, 'linux.namespaces[0].type', /is required/],
    [(s) => { s.linux = { sysctl: { 'net.ipv4.ip_forward': 1 } }; }, 'linux.sysctl["net.ipv4.ip_forward"]', /must be a string/],
    [(s) => { s.linux = { resources: { memory: { limit: '64m' } } }; }, 'linux.resources.memory.limit', /must be an integer/],
    [(s) => { s.linux = { resources: { devices: [{ access: 'rwm' }] } }; }, 'linux.resources.devices[0].allow', /is required/],
    [(s) => { s.linux = { resources: { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0 }] } } }; }, 'linux.resources.blockIO.throttleReadBpsDevice[0].rate', /is required/],
    [(s) => { s.linux = { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ERRNO' }] } }; }, 'linux.seccomp.syscalls[0].names', /is required/],
    [(s) => { s.linux = { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] } }; }, 'linux.seccomp.syscalls[0].args[0].index', /out of range 0\.\.5/],
    [(s) => { s.linux = { seccomp: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5000 } }; }, 'linux.seccomp.defaultErrnoRet', /out of range 0\.\.4095/],
    [(s) => { s.linux = { timeOffsets: { monotonic: { nanosecs: 1e9 } } }; }, 'linux.timeOffsets.monotonic.nanosecs', /out of range/],
  ];
  for (const [mutate, field, message] of cases) {
    const s = minimal();
    mutate(s);
    throwsAt(() => parseSpec(s), field, message);
  }
});

test('null is absent, unknown fields are ignored, Windows and VM sections are not read', () => {
  const s = parseSpec({ ...minimal(), hostname: null, mounts: null, linux: { namespaces: null, frobnicate: 1 }, windows: { layerFolders: 7 }, vm: 'x', solaris: {}, 'org.example': true });
  assert.equal(s.hostname, undefined);
  assert.equal(s.mounts, undefined);
  assert.equal(s.linux?.namespaces, undefined);
  assert.ok(!('frobnicate' in s.linux!));
});

test('uint64 fields are bigints; 2^64 from JSON.parse means the maximum', () => {
  const text = '{"ociVersion":"1.0.0","process":{"user":{"uid":0,"gid":0},"cwd":"/","args":["a"],"rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615}]}}';
  const s = parseSpec(JSON.parse(text));
  assert.equal(s.process!.rlimits![0]!.hard, (1n << 64n) - 1n);
  // a lossless parser's bigint is taken as is
  const s2 = parseSpec({ ...minimal(), process: { user: { uid: 0n, gid: 0 }, cwd: '/', args: ['a'], rlimits: [{ type: 'RLIMIT_CORE', hard: 5n, soft: 4 }] } });
  assert.equal(s2.process!.rlimits![0]!.soft, 4n);
  assert.equal(s2.process!.user.uid, 0);
  throwsAt(() => parseSpec({ ...minimal(), process: { user: {}, cwd: '/', rlimits: [{ type: 'RLIMIT_CORE', hard: -1, soft: 0 }] } }), 'process.rlimits[0].hard', /out of range/);
  // int64: the double of MaxInt64 is MaxInt64
  const r = parseResources({ memory: { limit: 9223372036854775807 } });
  assert.equal(r.memory?.limit, (1n << 63n) - 1n);
});

test('the old single seccomp "name" is read into names', () => {
  const s = parseSpec({ ...minimal(), linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'chmod', action: 'SCMP_ACT_ERRNO' }, { names: ['a', 'b'], action: 'SCMP_ACT_ERRNO' }] } } });
  assert.deepEqual(s.linux!.seccomp!.syscalls!.map((c) => c.names), [['chmod'], ['a', 'b']]);
});

test('user defaults to root and a Windows username is kept but meaningless', () => {
  const s = parseSpec({ ...minimal(), process: { user: { username: 'ContainerUser' }, cwd: '/', args: ['a'] } });
  assert.deepEqual(s.process!.user, { uid: 0, gid: 0, umask: undefined, additionalGids: undefined, username: 'ContainerUser' });
  throwsAt(() => parseSpec({ ...minimal(), process: { cwd: '/', args: ['a'] } }), 'process.user', /is required/);
});

test('update --resources: the document is the resources object and messages name it', () => {
  const r = parseResources({ memory: { limit: 1048576 }, cpu: { shares: 512 } });
  assert.equal(r.memory!.limit, 1048576n);
  assert.equal(r.cpu!.shares, 512n);
  assert.throws(() => parseResources({ pids: { limit: 'x' } }), (e: unknown) => e instanceof OciConfigError && e.message === 'resources: pids.limit must be an integer, got the string "x"');
  assert.throws(() => parseResources({ pids: { limit: 'x' } }, 'r.json'), /^OciConfigError: r\.json: pids\.limit/);
});
