/** runc's mount option table, bind detection, paths, rootfs propagation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_MOUNT_OPTIONS, MS, containerPath, parseMountOptions, planMount, rootfsPropagation } from '../../src/oci/mounts.js';
import { OciConfigError } from '../../src/oci/errors.js';

test('each option sets or clears its flag, later options winning', () => {
  const cases: [string[], number][] = [
    [['ro'], MS.RDONLY], [['ro', 'rw'], 0], [['rw', 'ro'], MS.RDONLY],
    [['nosuid'], MS.NOSUID], [['nosuid', 'suid'], 0], [['nodev'], MS.NODEV], [['nodev', 'dev'], 0],
    [['noexec'], MS.NOEXEC], [['noexec', 'exec'], 0], [['sync'], MS.SYNCHRONOUS], [['sync', 'async'], 0],
    [['dirsync'], MS.DIRSYNC], [['remount'], MS.REMOUNT], [['mand'], MS.MANDLOCK], [['mand', 'nomand'], 0],
    [['noatime'], MS.NOATIME], [['noatime', 'atime'], 0], [['nodiratime'], MS.NODIRATIME], [['nodiratime', 'diratime'], 0],
    [['relatime'], MS.RELATIME], [['relatime', 'norelatime'], 0], [['strictatime'], MS.STRICTATIME], [['strictatime', 'nostrictatime'], 0],
    [['bind'], MS.BIND], [['rbind'], MS.BIND | MS.REC], [['lazytime'], MS.LAZYTIME], [['iversion'], MS.I_VERSION],
    [['silent'], MS.SILENT], [['silent', 'loud'], 0], [['nosymfollow'], MS.NOSYMFOLLOW], [['nosymfollow', 'symfollow'], 0],
    [['nosuid', 'noexec', 'nodev', 'ro'], MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY],
    [['defaults'], 0],
  ];
  for (const [opts, flags] of cases) {
    const r = parseMountOptions(opts, 'mounts[0].options');
    assert.equal(r.flags, flags, opts.join(','));
    assert.equal(r.data, '', `${opts.join(',')}: no data`);
  }
  // the kernel's numbers (linux/mount.h), so a typo in the table cannot hide
  assert.deepEqual([MS.RDONLY, MS.NOSUID, MS.NODEV, MS.NOEXEC, MS.REMOUNT, MS.BIND, MS.REC, MS.PRIVATE, MS.SLAVE, MS.SHARED, MS.RELATIME, MS.STRICTATIME],
    [1, 2, 4, 8, 32, 4096, 16384, 262144, 524288, 1048576, 2097152, 16777216]);
});

test('propagation options become their own mount(2) calls, in order', () => {
  const cases: [string, number][] = [
    ['private', MS.PRIVATE], ['rprivate', MS.PRIVATE | MS.REC], ['shared', MS.SHARED], ['rshared', MS.SHARED | MS.REC],
    ['slave', MS.SLAVE], ['rslave', MS.SLAVE | MS.REC], ['unbindable', MS.UNBINDABLE], ['runbindable', MS.UNBINDABLE | MS.REC],
  ];
  for (const [o, f] of cases) {
    const r = parseMountOptions([o], 'p');
    assert.deepEqual(r.propagation, [f], o);
    assert.equal(r.flags, 0, `${o} is no mount flag`);
  }
  assert.deepEqual(parseMountOptions(['rbind', 'rprivate', 'rshared'], 'p').propagation, [MS.PRIVATE | MS.REC, MS.SHARED | MS.REC]);
});

test('unknown options are filesystem data, in order; rro is recursive read-only', () => {
  const r = parseMountOptions(['nosuid', 'mode=755', 'size=65536k', 'strictatime', 'newinstance'], 'p');
  assert.equal(r.data, 'mode=755,size=65536k,newinstance');
  assert.equal(r.flags, MS.NOSUID | MS.STRICTATIME);
  assert.equal(parseMountOptions(['rbind', 'rro'], 'p').recursiveReadonly, true);
  assert.equal(parseMountOptions(['rro', 'rrw'], 'p').recursiveReadonly, false);
  assert.equal(parseMountOptions(['tmpcopyup'], 'p').copyUp, true);
  assert.equal(parseMountOptions(['tmpcopyup'], 'p').data, '');
  for (const o of ['ro', 'rprivate', 'rro', 'tmpcopyup', 'strictatime', 'defaults']) assert.ok(KNOWN_MOUNT_OPTIONS.includes(o), o);
});

test('ID-mapped mounts and other recursive attributes are refused by name', () => {
  for (const o of ['idmap', 'ridmap', 'rnosuid', 'rnoexec', 'ratime']) {
    assert.throws(() => parseMountOptions(['rbind', o], 'mounts[3].options'), (e: unknown) =>
      e instanceof OciConfigError && e.field === 'mounts[3].options[1]' && e.message.includes(`'${o}'`) && e.message.includes('not supported'));
  }
  assert.throws(() => planMount({ destination: '/a', type: 'bind', source: '/b', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }, '/bundle', 'mounts[0]'),
    (e: unknown) => e instanceof OciConfigError && e.field === 'mounts[0].uidMappings');
});

test('binds: by type or by option; relative sources from the bundle; the type becomes bind', () => {
  const cases: [Parameters<typeof planMount>[0], { type: string; source: string; flags: number }][] = [
    [{ destination: '/etc/hosts', type: 'bind', source: '/run/x/hosts', options: ['bind', 'rprivate'] }, { type: 'bind', source: '/run/x/hosts', flags: MS.BIND }],
    [{ destination: '/data', type: 'none', source: 'data', options: ['rbind', 'ro'] }, { type: 'bind', source: '/bundle/data', flags: MS.BIND | MS.REC | MS.RDONLY }],
    [{ destination: '/data', source: './d/../data', options: ['bind'] }, { type: 'bind', source: '/bundle/data', flags: MS.BIND }],
    [{ destination: '/data', type: 'bind', source: '/srv//data/' }, { type: 'bind', source: '/srv/data/', flags: MS.BIND }],
    [{ destination: '/proc', type: 'proc', source: 'proc' }, { type: 'proc', source: 'proc', flags: 0 }],
    [{ destination: '/tmp', type: 'tmpfs', options: ['nosuid'] }, { type: 'tmpfs', source: '', flags: MS.NOSUID }],
  ];
  for (const [m, want] of cases) {
    const { plan } = planMount(m, '/bundle', 'mounts[0]');
    assert.deepEqual({ type: plan.type, source: plan.source, flags: plan.flags }, want, JSON.stringify(m));
  }
  assert.throws(() => planMount({ destination: '/a', options: ['bind'] }, '/b', 'mounts[2]'), (e: unknown) => e instanceof OciConfigError && e.field === 'mounts[2].source');
  assert.throws(() => planMount({ destination: '/a', source: 'x' }, '/b', 'mounts[2]'), (e: unknown) => e instanceof OciConfigError && e.field === 'mounts[2].type');
  assert.throws(() => planMount({ destination: '', type: 'tmpfs' }, '/b', 'mounts[2]'), (e: unknown) => e instanceof OciConfigError && e.field === 'mounts[2].destination');
  assert.throws(() => planMount({ destination: '/a\0b', type: 'tmpfs' }, '/b', 'mounts[2]'), /NUL/);
});

test('destinations are cleaned, relative ones taken from /', () => {
  const cases: [string, string][] = [['/proc', '/proc'], ['proc', '/proc'], ['dev/shm/', '/dev/shm/'], ['/a/../../b', '/b'], ['/a//b/./c', '/a/b/c'], ['../etc', '/etc']];
  for (const [d, want] of cases) assert.equal(containerPath(d), want, d);
  const rel = planMount({ destination: 'data', type: 'tmpfs' }, '/b', 'm');
  assert.equal(rel.plan.destination, '/data');
  assert.deepEqual(rel.warnings, ["mount destination 'data' is not absolute; taken as /data"]);
  assert.deepEqual(planMount({ destination: '/data', type: 'tmpfs' }, '/b', 'm').warnings, []);
});

test('tmpcopyup is ignored with a warning; rro on a fresh filesystem is plain ro', () => {
  const r = planMount({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] }, '/b', 'mounts[0]');
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /tmpcopyup is ignored/);
  assert.equal(r.plan.data, '');
  const ro = planMount({ destination: '/t', type: 'tmpfs', options: ['rro'] }, '/b', 'm').plan;
  assert.equal(ro.flags, MS.RDONLY);
  assert.equal(ro.recursiveReadonly, false);
  const rbind = planMount({ destination: '/t', type: 'bind', source: '/s', options: ['rbind', 'rro'] }, '/b', 'm').plan;
  assert.equal(rbind.recursiveReadonly, true);
  assert.equal(rbind.flags & MS.RDONLY, 0);
});

test('rootfsPropagation: rslave by default, else the table', () => {
  assert.equal(rootfsPropagation(undefined), MS.SLAVE | MS.REC);
  assert.equal(rootfsPropagation(''), MS.SLAVE | MS.REC);
  assert.equal(rootfsPropagation('private'), MS.PRIVATE);
  assert.equal(rootfsPropagation('rshared'), MS.SHARED | MS.REC);
  assert.throws(() => rootfsPropagation('recursive'), (e: unknown) => e instanceof OciConfigError && e.field === 'linux.rootfsPropagation' && e.message.includes("'recursive'"));
});
