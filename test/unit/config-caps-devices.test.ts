/** Capability sets and device options: docker's rules as tables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityName, capabilityNames, capabilitySet, DEFAULT_CAPABILITIES } from '../../src/config/caps.js';
import { deviceAccess, parseDevice, parseDeviceRule } from '../../src/config/devices.js';
import { validateSpec, SpecError, type SpecEnvironment } from '../../src/config/spec.js';

test('capability names: CAP_ prefix optional, any case, ALL; unknown → null', () => {
  const cases: [string, string | null][] = [
    ['CAP_SYS_ADMIN', 'SYS_ADMIN'], ['sys_admin', 'SYS_ADMIN'], ['NET_ADMIN', 'NET_ADMIN'], ['cap_bpf', 'BPF'],
    ['all', 'ALL'], ['ALL', 'ALL'], ['CAP_ALL', null], ['SYS_ADMINX', null], ['', null], ['CHECKPOINT_RESTORE', 'CHECKPOINT_RESTORE'],
  ];
  for (const [text, want] of cases) assert.equal(capabilityName(text), want, text);
});

test('capability sets follow docker: default, add, drop, ALL on either side, privileged', () => {
  const names = (add: string[], drop: string[], priv = false): string[] => capabilityNames(capabilitySet(add, drop, priv));
  const dflt = [...DEFAULT_CAPABILITIES].sort();
  assert.deepEqual(names([], []).sort(), dflt);
  assert.deepEqual(names(['NET_ADMIN'], []).sort(), [...dflt, 'NET_ADMIN'].sort());
  assert.deepEqual(names([], ['MKNOD', 'NET_RAW']).sort(), dflt.filter((c) => c !== 'MKNOD' && c !== 'NET_RAW'));
  assert.deepEqual(names(['SYS_PTRACE'], ['ALL']), ['SYS_PTRACE']);
  assert.deepEqual(names([], ['ALL']), []);
  const all = names(['ALL'], ['SYS_ADMIN']);
  assert.ok(all.includes('SYS_MODULE') && all.includes('CHECKPOINT_RESTORE') && !all.includes('SYS_ADMIN'));
  assert.ok(names([], [], true).includes('SYS_ADMIN'));
  assert.equal(capabilitySet([], ['ALL'], true), (1n << 64n) - 1n, '--privileged keeps everything whatever is dropped');
  assert.deepEqual(names(['NET_ADMIN'], ['NET_ADMIN']).includes('NET_ADMIN'), false, 'named in both: dropped');
});

test('device access strings: a non-empty subset of rwm, normalised', () => {
  const cases: [string, string | null][] = [['rwm', 'rwm'], ['mwr', 'rwm'], ['r', 'r'], ['wr', 'rw'], ['', null], ['rr', null], ['rx', null], ['RW', null]];
  for (const [text, want] of cases) assert.equal(deviceAccess(text), want, text);
});

test('--device HOST[:CONTAINER][:rwm], as docker parses it', () => {
  const good: [string, { source: string; target: string; access: string }][] = [
    ['/dev/sda', { source: '/dev/sda', target: '/dev/sda', access: 'rwm' }],
    ['/dev/sda:/dev/xvda', { source: '/dev/sda', target: '/dev/xvda', access: 'rwm' }],
    ['/dev/sda:r', { source: '/dev/sda', target: '/dev/sda', access: 'r' }],
    ['/dev/sda:/dev/xvda:rw', { source: '/dev/sda', target: '/dev/xvda', access: 'rw' }],
    ['/dev/fuse:mr', { source: '/dev/fuse', target: '/dev/fuse', access: 'rm' }],
  ];
  for (const [text, want] of good) assert.deepEqual(parseDevice(text), { ok: true, value: want }, text);
  for (const bad of ['', 'sda', '/dev/sda:/dev/xvda:rwx', '/dev/sda::r', '/dev/sda:/etc/passwd', '/dev/sda:/dev/../etc/x', '/a:/dev/b:r:x', '/dev/sda:rr'])
    assert.equal(parseDevice(bad).ok, false, bad);
});

test("DeviceAllow= in systemd's syntax", () => {
  assert.deepEqual(parseDeviceRule('/dev/fuse rw'), { ok: true, value: { path: '/dev/fuse', access: 'rw' } });
  assert.deepEqual(parseDeviceRule('char-usb_device'), { ok: true, value: { path: 'char-usb_device', access: 'rwm' } });
  assert.deepEqual(parseDeviceRule('block-loop r'), { ok: true, value: { path: 'block-loop', access: 'r' } });
  for (const bad of ['', '/etc/passwd r', 'fuse', '/dev/fuse rx', '/dev/a r w']) assert.equal(parseDeviceRule(bad).ok, false, bad);
});

test('validation: devices must exist and be nodes; caps must be known; privileged implies unconfined', () => {
  const env: SpecEnvironment = {
    onlineCpus: [0], exists: () => true,
    deviceKind: (p) => (p === '/dev/sda' ? 'block' : p === '/dev/fuse' ? 'char' : p === '/etc/passwd' ? 'other' : null),
  };
  const spec = validateSpec('d', { device: ['/dev/sda:/dev/xvda:r', '/dev/fuse'], capAdd: ['cap_net_admin'], capDrop: ['MKNOD'] }, env);
  assert.deepEqual(spec.devices, [{ source: '/dev/sda', target: '/dev/xvda', access: 'r' }, { source: '/dev/fuse', target: '/dev/fuse', access: 'rwm' }]);
  assert.deepEqual(spec.capAdd, ['NET_ADMIN']);
  assert.deepEqual(spec.capDrop, ['MKNOD']);
  assert.equal(spec.privileged, undefined);
  const errors: [Parameters<typeof validateSpec>[1], RegExp][] = [
    [{ device: ['/dev/nope'] }, /^--device '\/dev\/nope': \/dev\/nope does not exist on this host$/],
    [{ device: ['/etc/passwd:/dev/x'] }, /is not a device node/],
    [{ device: ['/etc/passwd'] }, /must be a path under \/dev\//],
    [{ device: ['/dev/sda:/dev/x:rwx'] }, /^--device '\/dev\/sda:\/dev\/x:rwx' has access 'rwx'/],
    [{ capAdd: ['SYS_WIZARD'] }, /^--cap-add 'SYS_WIZARD' is not a capability/],
    [{ capDrop: ['x'] }, /^--cap-drop 'x' is not a capability/],
    [{ privileged: 'maybe' }, /^--privileged 'maybe'/],
  ];
  for (const [o, re] of errors) assert.throws(() => validateSpec('d', o, env), (e: unknown) => e instanceof SpecError && re.test(e.message), JSON.stringify(o));
  // --shm-size: docker's sizes; always bounded
  assert.equal(validateSpec('s', { shmSize: '256m' }, env).shmSize, 256 * 2 ** 20);
  assert.equal(validateSpec('s', {}, env).shmSize, undefined);
  assert.throws(() => validateSpec('s', { shmSize: 'lots' }, env), /^SpecError: --shm-size 'lots' is not a size$|--shm-size 'lots' is not a size/);
  assert.throws(() => validateSpec('s', { shmSize: 'infinity' }, env), /--shm-size 'infinity' must be a size/);
  const priv = validateSpec('p', { privileged: 'yes', seccomp: 'default' }, env);
  assert.equal(priv.privileged, true);
  assert.equal(priv.seccomp, 'unconfined');
});
