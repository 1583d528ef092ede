import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec, SpecError, machineNameProblem, type SpecEnvironment } from '../../src/config/spec.js';
import { parseSize, parseCpus, parseCpuList, formatCpuList, formatSize } from '../../src/config/units.js';

const env: SpecEnvironment = { onlineCpus: [0, 1], exists: (p) => p === '/srv/data', deviceKind: (p) => (p === '/dev/sda' ? 'block' : p === '/dev/fuse' ? 'char' : p === '/srv/data' ? 'other' : null) };

test('sizes use binary units and refuse nonsense', () => {
  const cases: [string, number | null | 'bad'][] = [
    ['64M', 64 * 2 ** 20], ['64m', 64 * 2 ** 20], ['1G', 2 ** 30], ['1.5G', 1.5 * 2 ** 30], ['512k', 512 * 1024],
    ['1048576', 1048576], ['64MiB', 64 * 2 ** 20], ['64MB', 64 * 2 ** 20], ['infinity', null], ['max', null],
    ['lots', 'bad'], ['', 'bad'], ['-1M', 'bad'], ['0', 'bad'], ['12X', 'bad'], ['1e3', 'bad'],
  ];
  for (const [text, want] of cases) {
    const r = parseSize(text);
    if (want === 'bad') assert.equal(r.ok, false, text);
    else assert.deepEqual(r, { ok: true, value: want }, text);
  }
  assert.equal(formatSize(64 * 2 ** 20), '64M');
  assert.equal(formatSize(1000), '1000');
});

test('cpus and cpu lists', () => {
  assert.deepEqual(parseCpus('0.5'), { ok: true, value: 0.5 });
  assert.deepEqual(parseCpus('2'), { ok: true, value: 2 });
  for (const t of ['0', 'half', '-1', '0.001', '2000', '']) assert.equal(parseCpus(t).ok, false, t);
  assert.deepEqual(parseCpuList('0-3,6,2'), { ok: true, value: [0, 1, 2, 3, 6] });
  for (const t of ['3-1', 'a', '1,,2', '']) assert.equal(parseCpuList(t).ok, false, t);
  assert.equal(formatCpuList([0, 1, 2, 3, 6, 8, 9]), '0-3,6,8-9');
});

test('machine names follow machined (hostname) rules', () => {
  for (const ok of ['httpd', 'web-1', 'a.b', 'X9']) assert.equal(machineNameProblem(ok), null, ok);
  for (const bad of ['', '-x', '.x', 'a..b', 'a b', 'a/b', 'x'.repeat(65), 'ünï', 'a_b']) assert.notEqual(machineNameProblem(bad), null, bad);
});

test('a full spec validates into base units', () => {
  const s = validateSpec('web', {
    cpus: '0.5', memory: '64M', pidsLimit: '100', cpusetCpus: '0-1', ioWeight: '200',
    env: ['A=1', 'B='], bind: ['/srv/data:/data:ro'], workdir: '/data', command: ['/bin/sh', '-c', 'true'],
  }, env);
  assert.deepEqual(s.limits, { cpus: 0.5, memory: 67108864, pids: 100, cpuset: [0, 1], ioWeight: 200 });
  assert.equal(s.hostname, 'web');
  assert.equal(s.image, 'web');
  assert.deepEqual(s.binds, [{ source: '/srv/data', target: '/data', readonly: true }]);
  assert.equal(s.network.mode, 'bridge');
});

test('--user keeps USER[:GROUP] as typed (names resolve in the container at start); absent is empty', () => {
  for (const u of ['app', 'app:staff', '1000', '1000:1000', 'www-data:0', '4294967294']) assert.equal(validateSpec('web', { user: u }, env).user, u);
  assert.equal(validateSpec('web', {}, env).user, '');
});

test('--seccomp is default or unconfined (default when absent); --no-new-privileges is a boolean, off when absent', () => {
  const none = validateSpec('web', {}, env);
  assert.equal(none.seccomp, 'default');
  assert.equal(none.noNewPrivileges, false);
  assert.equal(validateSpec('web', { seccomp: 'unconfined' }, env).seccomp, 'unconfined');
  assert.equal(validateSpec('web', { seccomp: 'default' }, env).seccomp, 'default');
  for (const yes of ['yes', 'true', '1', 'on', 'Y']) assert.equal(validateSpec('web', { noNewPrivileges: yes }, env).noNewPrivileges, true, yes);
  for (const no of ['no', 'false', '0', 'off']) assert.equal(validateSpec('web', { noNewPrivileges: no }, env).noNewPrivileges, false, no);
});

test('unlimited values leave the limit unset', () => {
  const s = validateSpec('web', { memory: 'infinity', pidsLimit: 'max' }, env);
  assert.deepEqual(s.limits, {});
});

test('bad input names the flag and the value', () => {
  const cases: [Parameters<typeof validateSpec>[1], RegExp][] = [
    [{ memory: 'lots' }, /^--memory 'lots' is not a size$/],
    [{ memory: '10K' }, /^--memory '10K' is below 1M/],
    [{ cpus: 'x' }, /^--cpus 'x' is not a number of CPUs$/],
    [{ pidsLimit: '0' }, /^--pids-limit '0' is outside/],
    [{ cpusetCpus: '0-7' }, /^--cpuset-cpus '0-7' names CPU 2,3,4,5,6,7, which this host does not have/],
    [{ ioWeight: '0' }, /^--io-weight '0' is outside 1\.\.10000$/],
    [{ hostname: 'bad host' }, /^--hostname 'bad host' is not a valid hostname$/],
    [{ env: ['NOEQUALS'] }, /^--env 'NOEQUALS' is not KEY=VALUE$/],
    [{ bind: ['/nope:/x'] }, /source \/nope does not exist/],
    [{ bind: ['rel:/x'] }, /is not an absolute path/],
    [{ bind: ['/srv/data:/x:rx'] }, /has option 'rx'/],
    [{ bind: ['/srv/data'] }, /is not SRC:DST\[:ro\]/],
    [{ workdir: 'data' }, /^--workdir 'data' is not an absolute path$/],
    [{ user: 'a:b:c' }, /^--user 'a:b:c' is not USER\[:GROUP\]$/],
    [{ user: ':grp' }, /^--user ':grp' is not USER\[:GROUP\]$/],
    [{ user: 'app:' }, /^--user 'app:' is not USER\[:GROUP\]$/],
    [{ user: 'a b' }, /^--user 'a b' has 'a b', which is not a user or group name$/],
    [{ user: '4294967295' }, /^--user '4294967295' has id 4294967295, above 4294967294$/],
    [{ seccomp: 'x' }, /^--seccomp 'x' is not default or unconfined$/],
    [{ seccomp: 'Unconfined' }, /^--seccomp 'Unconfined' is not default or unconfined$/],
    [{ seccomp: '/etc/profile.json' }, /^--seccomp '\/etc\/profile\.json' is not default or unconfined$/],
    [{ seccomp: '' }, /^--seccomp '' is not default or unconfined$/],
    [{ noNewPrivileges: 'maybe' }, /^--no-new-privileges 'maybe' is not a boolean \(yes or no\)$/],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => validateSpec('web', o, env), (e: unknown) => e instanceof SpecError && re.test(e.message), JSON.stringify(o));
  }
});

test('settings-file labels replace flag names in errors', () => {
  assert.throws(() => validateSpec('web', { memory: 'lots' }, env, { memory: '/etc/tsmachine/web.tsmachine:3: MemoryMax=' }),
    { message: "/etc/tsmachine/web.tsmachine:3: MemoryMax= 'lots' is not a size" });
});
