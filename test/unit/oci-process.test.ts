/** process → OciProcessPlan: capabilities, rlimits, the checks on args/env/cwd, exec's process.json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityMaskOf, capabilitySets, KNOWN_CAPABILITIES } from '../../src/oci/caps.js';
import { RLIMITS, rlimitPlans } from '../../src/oci/rlimits.js';
import { planExecProcess, planProcess } from '../../src/oci/process.js';
import { parseProcess } from '../../src/oci/spec.js';
import { OciConfigError } from '../../src/oci/errors.js';

const fails = (field: string, text: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof OciConfigError, String(e));
  assert.equal(e.field, field);
  assert.match(e.message, text);
  return true;
};

test('capability names → kernel bit numbers', () => {
  const cases: [string[], bigint][] = [
    [[], 0n], [['CAP_CHOWN'], 1n], [['CAP_KILL'], 1n << 5n], [['CAP_SYS_ADMIN'], 1n << 21n], [['CAP_AUDIT_WRITE'], 1n << 29n],
    [['CAP_CHECKPOINT_RESTORE'], 1n << 40n], [['CAP_NET_BIND_SERVICE', 'CAP_NET_BIND_SERVICE'], 1n << 10n],
    [['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], (1n << 29n) | (1n << 5n) | (1n << 10n)],
  ];
  for (const [names, mask] of cases) assert.equal(capabilityMaskOf(names, 'p', []), mask, names.join(','));
  assert.equal(KNOWN_CAPABILITIES.length, 41);
  assert.equal(KNOWN_CAPABILITIES[21], 'CAP_SYS_ADMIN');
});

test('a well-formed capability newer than the table is skipped with a warning; garbage is an error', () => {
  const warnings: string[] = [];
  assert.equal(capabilityMaskOf(['CAP_KILL', 'CAP_FUTURE_THING'], 'process.capabilities.bounding', warnings), 1n << 5n);
  assert.deepEqual(warnings, ['process.capabilities.bounding[1]: capability CAP_FUTURE_THING is not known to this runtime; skipped']);
  for (const bad of ['SYS_ADMIN', 'cap_sys_admin', 'CAP_', 'CAP_SYS ADMIN', '']) {
    assert.throws(() => capabilityMaskOf(['CAP_KILL', 'CAP_CHOWN', bad], 'process.capabilities.bounding', []), fails('process.capabilities.bounding[2]', /is not a capability name/), bad);
  }
  const sets = capabilitySets({ bounding: ['CAP_KILL'], ambient: ['CAP_CHOWN'] }, 'process.capabilities', []);
  assert.deepEqual(sets, { bounding: 1n << 5n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 1n });
  assert.deepEqual(capabilitySets(undefined, 'p', []), { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n });
});

test('rlimits: names → numbers, soft ≤ hard, no duplicates', () => {
  const names = ['RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE',
    'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME'];
  names.forEach((n, i) => assert.equal(RLIMITS[n], i, n));
  assert.deepEqual(rlimitPlans([{ type: 'RLIMIT_NOFILE', soft: 1024n, hard: 4096n }, { type: 'RLIMIT_CORE', soft: 0n, hard: (1n << 64n) - 1n }], 'process.rlimits'),
    [{ resource: 7, soft: 1024n, hard: 4096n }, { resource: 4, soft: 0n, hard: (1n << 64n) - 1n }]);
  assert.throws(() => rlimitPlans([{ type: 'RLIMIT_FOO', soft: 1n, hard: 1n }], 'process.rlimits'),
    (e: unknown) => e instanceof OciConfigError && e.message === "config.json: process.rlimits[0].type 'RLIMIT_FOO' is not a resource limit");
  assert.throws(() => rlimitPlans([{ type: 'RLIMIT_NOFILE', soft: 2n, hard: 1n }], 'process.rlimits'), fails('process.rlimits[0].soft', /2 is above hard 1/));
  assert.throws(() => rlimitPlans([{ type: 'RLIMIT_NOFILE', soft: 1n, hard: 1n }, { type: 'RLIMIT_NOFILE', soft: 1n, hard: 1n }], 'process.rlimits'),
    fails('process.rlimits[1].type', /repeats process\.rlimits\[0\]/));
  assert.throws(() => rlimitPlans([{ type: 'nofile', soft: 1n, hard: 1n }], 'process.rlimits'), fails('process.rlimits[0].type', /not a resource limit/));
});

const base = (): Record<string, unknown> => ({ user: { uid: 1000, gid: 100, additionalGids: [10, 20], umask: 0o27 }, args: ['/bin/sh', '-c', 'true'], env: ['PATH=/bin', 'EMPTY='], cwd: '/home' });

test('a process plan carries everything but seccomp', () => {
  const warnings: string[] = [];
  const r = planProcess(parseProcess({ ...base(), terminal: true, consoleSize: { height: 24, width: 80 }, noNewPrivileges: true, oomScoreAdj: -500,
    apparmorProfile: 'containers-default-0.50.1', selinuxLabel: 'system_u:system_r:container_t:s0', capabilities: { bounding: ['CAP_KILL'] },
    rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }] }, 'process'), 'process', warnings);
  assert.deepEqual(r.process, {
    args: ['/bin/sh', '-c', 'true'], env: ['PATH=/bin', 'EMPTY='], cwd: '/home', uid: 1000, gid: 100, additionalGids: [10, 20], umask: 0o27,
    capabilities: { bounding: 32n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n },
    rlimits: [{ resource: 7, soft: 10n, hard: 20n }], noNewPrivileges: true, oomScoreAdj: -500, apparmorProfile: 'containers-default-0.50.1',
    terminal: true, consoleSize: { rows: 24, cols: 80 },
  });
  assert.equal(r.selinuxLabel, 'system_u:system_r:container_t:s0');
  assert.ok(!('seccomp' in r.process));
  // without a terminal there is no console size, and optional fields stay out
  const plain = planProcess(parseProcess({ ...base(), consoleSize: { height: 1, width: 1 }, apparmorProfile: '' }, 'process'), 'process', []).process;
  assert.equal(plain.terminal, false);
  assert.ok(!('consoleSize' in plain) && !('apparmorProfile' in plain) && !('oomScoreAdj' in plain));
  assert.equal(plain.noNewPrivileges, false);
  // a Windows username is ignored
  assert.equal(planProcess(parseProcess({ ...base(), user: { uid: 0, gid: 0, username: 'x' } }, 'process'), 'process', []).process.uid, 0);
});

test('process errors name the field', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ args: [] }, 'process.args', /is empty: there is nothing to run/],
    [{ args: undefined }, 'process.args', /is empty/],
    [{ args: [''] }, 'process.args[0]', /is empty/],
    [{ args: ['a', 'b\0c'] }, 'process.args[1]', /NUL/],
    [{ env: ['PATH=/bin', 'JUNK'] }, 'process.env[1]', /'JUNK' is not NAME=VALUE/],
    [{ env: ['=x'] }, 'process.env[0]', /not NAME=VALUE/],
    [{ cwd: 'home' }, 'process.cwd', /'home' is not an absolute path/],
    [{ cwd: undefined }, 'process.cwd', /is required/],
    [{ commandLine: 'cmd.exe' }, 'process.commandLine', /Windows only/],
    [{ scheduler: { policy: 'SCHED_FIFO' } }, 'process.scheduler', /not supported/],
    [{ ioPriority: { class: 'IOPRIO_CLASS_RT', priority: 0 } }, 'process.ioPriority', /not supported/],
  ];
  for (const [patch, field, text] of cases) {
    assert.throws(() => planProcess(parseProcess({ ...base(), ...patch }, 'process'), 'process', []), fails(field, text), field);
  }
});

test('exec --process: the file is the process object, messages name it', () => {
  const r = planExecProcess({ ...base(), args: ['ls'] }, []);
  assert.deepEqual(r.process.args, ['ls']);
  assert.throws(() => planExecProcess({ ...base(), cwd: 'x' }, []), (e: unknown) => e instanceof OciConfigError && e.message === "process.json: cwd 'x' is not an absolute path");
  assert.throws(() => planExecProcess({ ...base(), rlimits: [{ type: 'RLIMIT_X', soft: 1, hard: 1 }] }, [], '/tmp/p.json'), /\/tmp\/p\.json: rlimits\[0\]\.type 'RLIMIT_X'/);
});
