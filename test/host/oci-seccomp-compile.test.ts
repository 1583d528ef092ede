import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { nativeAddon, type StageResult } from '../../src/kernel/addon.js';
import { KernelError } from '../../src/kernel/errors.js';
import { compileSeccomp, libseccompVersion, supportedSeccompArches } from '../../src/kernel/seccomp-compile.js';
import type { SeccompAction, SeccompArgPlan, SeccompOperator, SeccompProfilePlan, SeccompRulePlan } from '../../src/kernel/oci-types.js';
import { ensureNative } from './kernel-fixture.js';

/**
 * native/src/seccomp-compile.c through src/kernel/seccomp-compile.ts, with
 * the host's libseccomp.so.2: podman's default profile compiles, and
 * compiled programs do what their profiles say once loaded (a small probe
 * loads the bytes as the OCI stages will: no_new_privs, then
 * seccomp(SECCOMP_SET_MODE_FILTER), and reports what its calls return).
 *
 * test/fixtures/podman-seccomp.json is containers/common's
 * pkg/seccomp/seccomp.json as of commit f437c58a (2025-08-25), unchanged.
 */

const PROBE_SRC = join(ROOT, 'test/fixtures/seccomp-load-probe.c');
const PODMAN = join(ROOT, 'test/fixtures/podman-seccomp.json');

function hasGcc(): boolean {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

function skipReason(): string | false {
  if (!hasGcc()) return 'needs gcc for the probe';
  ensureNative();
  if (libseccompVersion() === null) return 'needs libseccomp2';
  return false;
}

// --- podman's profile → SeccompProfilePlan (what src/oci/seccomp.ts and podman's own conversion do) ---

interface PodmanArg { index: number; value: number; valueTwo?: number; op: string }
interface PodmanRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: PodmanArg[] | null;
  includes?: { arches?: string[]; caps?: string[] };
  excludes?: { arches?: string[]; caps?: string[] };
}
interface PodmanProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap: { architecture: string; subArchitectures: string[] }[];
  syscalls: PodmanRule[];
}

/** Node's arch → libseccomp-golang's name (podman's includes.arches) and the SCMP_ARCH_ of archMap. */
const NATIVE: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'], arm64: ['arm64', 'SCMP_ARCH_AARCH64'], s390x: ['s390x', 'SCMP_ARCH_S390X'],
  ppc64: ['ppc64le', 'SCMP_ARCH_PPC64LE'], riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
};

/** podman's default capabilities (containers.conf default_capabilities): the includes/excludes.caps filter. */
const PODMAN_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];

/** containers/common setupSeccomp: the native archMap entry, rules filtered by arch and capabilities. */
function podmanPlan(subArches = true): SeccompProfilePlan {
  const p = JSON.parse(readFileSync(PODMAN, 'utf8')) as PodmanProfile;
  const [goArch, scmpArch] = NATIVE[process.arch] ?? ['', ''];
  const entry = p.archMap.find((a) => a.architecture === scmpArch);
  const rules: SeccompRulePlan[] = [];
  for (const s of p.syscalls) {
    if (s.excludes?.arches?.includes(goArch)) continue;
    if (s.excludes?.caps?.some((c) => PODMAN_CAPS.includes(c))) continue;
    if (s.includes?.arches?.length && !s.includes.arches.includes(goArch)) continue;
    if (s.includes?.caps?.some((c) => !PODMAN_CAPS.includes(c))) continue;
    rules.push({
      names: s.names ?? (s.name ? [s.name] : []),
      action: s.action as SeccompAction,
      ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
      args: (s.args ?? []).map((a) => ({ index: a.index, op: a.op as SeccompOperator, value: BigInt(a.value), valueTwo: BigInt(a.valueTwo ?? 0) })),
    });
  }
  return {
    defaultAction: p.defaultAction as SeccompAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    architectures: entry ? [entry.architecture, ...(subArches ? entry.subArchitectures : [])] : [],
    flags: [],
    rules,
  };
}

// --- small profiles ---

const rule = (names: string[], action: SeccompAction, args: SeccompArgPlan[] = [], errnoRet?: number): SeccompRulePlan =>
  ({ names, action, args, ...(errnoRet !== undefined ? { errnoRet } : {}) });
const arg = (index: number, op: SeccompOperator, value: bigint, valueTwo = 0n): SeccompArgPlan => ({ index, op, value, valueTwo });
const plan = (defaultAction: SeccompAction, rules: SeccompRulePlan[], more: Partial<SeccompProfilePlan> = {}): SeccompProfilePlan =>
  ({ defaultAction, architectures: [], flags: [], rules, ...more });
/** What the probe needs after its filter is on, in a profile that denies by default. */
const PROBE_NEEDS = ['write', 'exit_group'];

const CALLS = ['getppid', 'getpid', 'mkdir', 'mkdirat', 'personality_query', 'personality_0', 'personality_8',
  'personality_no_aslr', 'getpriority_process', 'getpriority_pgrp', 'ustat', 'uname'];

interface ProbeRun { status: number | null; signal: string | null; calls: Record<string, string>; stderr: string }

describe('OCI seccomp profiles compiled by libseccomp (seccomp-compile.c)', { skip: skipReason() }, () => {
  let dir: string;
  let probe: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsm-seccomp-compile-'));
    probe = join(dir, 'probe');
    execFileSync('gcc', ['-O2', '-o', probe, PROBE_SRC], { stdio: 'inherit' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The profile compiled, loaded by the probe, which makes `calls`. */
  function run(p: SeccompProfilePlan, calls: string[] = CALLS): ProbeRun {
    const prog = compileSeccomp(p);
    const file = join(dir, `filter-${n++}.bpf`);
    writeFileSync(file, prog.program);
    const r = spawnSync(probe, [file, String(prog.flags), ...calls], { encoding: 'utf8' });
    const out: Record<string, string> = {};
    for (const m of r.stdout.matchAll(/^(\w+)=(\w+)$/gm)) out[m[1]!] = m[2]!;
    return { status: r.status, signal: r.signal, calls: out, stderr: r.stderr };
  }

  test('the library: a version for `features`, and the native architecture among those it resolves', () => {
    assert.match(libseccompVersion() ?? '', /^2\.\d+\.\d+$/);
    const arches = supportedSeccompArches();
    const native = NATIVE[process.arch]?.[1];
    if (native) assert.ok(arches.includes(native), arches.join(' '));
    assert.equal(nativeAddon().seccompArch('SCMP_ARCH_NOT_ONE'), 0);
  });

  test('unconfined baseline: the calls the profiles below change succeed or fail with their own errno', () => {
    const r = run(plan('SCMP_ACT_ALLOW', []));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.calls, {
      getppid: '0', getpid: '0', mkdir: 'ENOENT', mkdirat: 'ENOENT', personality_query: '0', personality_0: '0', personality_8: '0',
      personality_no_aslr: '0', getpriority_process: '0', getpriority_pgrp: '0', ustat: 'EINVAL', uname: '0',
    });
  });

  test("podman's default profile compiles for the native ABI and its 32-bit ones, and confines as podman's does", () => {
    const p = podmanPlan();
    assert.ok(p.rules.length > 20 && p.architectures.length >= 1, JSON.stringify(p.architectures));
    const prog = compileSeccomp(p);
    assert.ok(prog.program.length > 0 && prog.program.length % 8 === 0, `${prog.program.length} bytes`);
    assert.ok(prog.program.length / 8 <= 4096);
    assert.equal(prog.flags, 0);
    // The sub-architectures are really in: their own number tables make the program longer.
    if (p.architectures.length > 1) assert.ok(compileSeccomp(podmanPlan(false)).program.length < prog.program.length);

    const r = run(p);
    assert.equal(r.status, 0, r.stderr);
    // allowed, unconditionally or by their arguments (personality: podman's persona list)
    for (const c of ['getppid', 'getpid', 'personality_query', 'personality_0', 'personality_8', 'getpriority_process', 'uname'])
      assert.equal(r.calls[c], '0', `${c}: ${JSON.stringify(r.calls)}`);
    assert.equal(r.calls.mkdir, 'ENOENT', 'allowed: the kernel answers');
    // denied by its ERRNO(1) rule, and by its default ENOSYS (ADDR_NO_RANDOMIZE is not a listed persona)
    assert.equal(r.calls.ustat, 'EPERM');
    assert.equal(r.calls.personality_no_aslr, 'ENOSYS');
  });

  test('default ERRNO(ENOSYS) with an allow list: unlisted calls get ENOSYS; unknown names are skipped', () => {
    const r = run(plan('SCMP_ACT_ERRNO', [rule([...PROBE_NEEDS, 'getpid', 'no_such_syscall_tsm', 'futex_wake_tsm'], 'SCMP_ACT_ALLOW')], { defaultErrnoRet: 38 }));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.getpid, '0');
    for (const c of ['getppid', 'mkdir', 'uname', 'personality_query']) assert.equal(r.calls[c], 'ENOSYS', `${c}: ${JSON.stringify(r.calls)}`);
  });

  test('default ERRNO without errnoRet is EPERM, as runc and crun', () => {
    const r = run(plan('SCMP_ACT_ERRNO', [rule(PROBE_NEEDS, 'SCMP_ACT_ALLOW')]), ['getppid']);
    assert.equal(r.calls.getppid, 'EPERM');
  });

  test('ALLOW with ERRNO(1) for mkdir and mkdirat: both EPERM, the rest untouched', () => {
    const r = run(plan('SCMP_ACT_ALLOW', [rule(['mkdir', 'mkdirat'], 'SCMP_ACT_ERRNO', [], 1)]));
    assert.equal(r.calls.mkdir, 'EPERM');
    assert.equal(r.calls.mkdirat, 'EPERM');
    assert.equal(r.calls.getppid, '0');
    assert.equal(r.calls.ustat, 'EINVAL');
  });

  test('an argument condition: personality(0xffffffff) allowed, other personas get the default ERRNO', () => {
    const r = run(plan('SCMP_ACT_ERRNO', [rule(PROBE_NEEDS, 'SCMP_ACT_ALLOW'), rule(['personality'], 'SCMP_ACT_ALLOW', [arg(0, 'SCMP_CMP_EQ', 0xffffffffn)])], { defaultErrnoRet: 1 }));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.personality_query, '0');
    assert.equal(r.calls.personality_0, 'EPERM');
    assert.equal(r.calls.personality_8, 'EPERM');
  });

  test('conditions on the same argument match when ANY does (one rule each, as runc and crun); on different arguments when ALL do', () => {
    const r = run(plan('SCMP_ACT_ALLOW', [
      rule(['personality'], 'SCMP_ACT_ERRNO', [arg(0, 'SCMP_CMP_EQ', 0n), arg(0, 'SCMP_CMP_EQ', 0xffffffffn)]),
      rule(['getpriority'], 'SCMP_ACT_ERRNO', [arg(0, 'SCMP_CMP_EQ', 1n), arg(1, 'SCMP_CMP_EQ', 0n)]),
    ]));
    assert.equal(r.calls.personality_0, 'EPERM');
    assert.equal(r.calls.personality_query, 'EPERM');
    assert.equal(r.calls.personality_8, '0');
    assert.equal(r.calls.getpriority_pgrp, 'EPERM', '(1, 0) matches both');
    assert.equal(r.calls.getpriority_process, '0', '(0, 0) matches one of two: not AND-ed away');
  });

  test('SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the value (the spec, libseccomp datum_a/datum_b)', () => {
    const r = run(plan('SCMP_ACT_ALLOW', [rule(['personality'], 'SCMP_ACT_ERRNO', [arg(0, 'SCMP_CMP_MASKED_EQ', 0x0040000n, 0x0040000n)])]));
    assert.equal(r.calls.personality_no_aslr, 'EPERM');
    assert.equal(r.calls.personality_0, '0');
    assert.equal(r.calls.personality_8, '0');
  });

  test('KILL_PROCESS and TRAP end the process with SIGSYS; KILL too', () => {
    for (const a of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_KILL'] as const) {
      const r = run(plan('SCMP_ACT_ALLOW', [rule(['getppid'], a)]), ['getppid']);
      assert.equal(r.signal, 'SIGSYS', a);
    }
  });

  test('a rule with the default action is dropped (libseccomp would refuse it), not an error', () => {
    const r = run(plan('SCMP_ACT_ERRNO', [rule(PROBE_NEEDS, 'SCMP_ACT_ALLOW'), rule(['getppid'], 'SCMP_ACT_ERRNO', [], 1)], { defaultErrnoRet: 1 }), ['getppid']);
    assert.equal(r.calls.getppid, 'EPERM');
    // ERRNO(1) differs from a default ERRNO(38): kept.
    const k = run(plan('SCMP_ACT_ERRNO', [rule(PROBE_NEEDS, 'SCMP_ACT_ALLOW'), rule(['getppid'], 'SCMP_ACT_ERRNO', [], 1)], { defaultErrnoRet: 38 }), ['getppid', 'getpid']);
    assert.deepEqual(k.calls, { getppid: 'EPERM', getpid: 'ENOSYS' });
  });

  test('flags: LOG and SPEC_ALLOW become seccomp(2) bits the kernel takes; TSYNC is accepted and adds nothing', () => {
    const p = plan('SCMP_ACT_ALLOW', [rule(['mkdir'], 'SCMP_ACT_ERRNO')], { flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] });
    assert.equal(compileSeccomp(p).flags, 2 | 4);
    const r = run(p, ['mkdir']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.mkdir, 'EPERM');
  });

  test('an unknown architecture is an error naming it; a known foreign one is fine', () => {
    assert.throws(() => compileSeccomp(plan('SCMP_ACT_ALLOW', [], { architectures: ['SCMP_ARCH_VAX'] })), (e: unknown) => {
      assert.ok(e instanceof KernelError);
      assert.equal(e.syscall, 'seccomp_arch_add');
      assert.equal(e.errnoName, 'EINVAL');
      assert.equal(e.path, 'SCMP_ARCH_VAX');
      assert.match(e.message, /unknown architecture on SCMP_ARCH_VAX/);
      return true;
    });
    assert.ok(compileSeccomp(plan('SCMP_ACT_ALLOW', [rule(['mkdir'], 'SCMP_ACT_ERRNO')], { architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'] })).program.length > 0);
  });

  test('bad operators, indexes, values, errnoRet and flags are refused before libseccomp, naming the rule', () => {
    const bad: [Partial<SeccompProfilePlan>, RegExp][] = [
      [{ rules: [rule(['read'], 'SCMP_ACT_ERRNO', [{ index: 0, op: 'SCMP_CMP_ALMOST' as SeccompOperator, value: 1n, valueTwo: 0n }])] }, /unknown seccomp operator on syscalls\[0\]: SCMP_CMP_ALMOST/],
      [{ rules: [rule(['write'], 'SCMP_ACT_ALLOW'), rule(['read'], 'SCMP_ACT_ERRNO', [arg(6, 'SCMP_CMP_EQ', 1n)])] }, /argument index is not 0\.\.5 on syscalls\[1\]: 6/],
      [{ rules: [rule(['read'], 'SCMP_ACT_ERRNO', [arg(0, 'SCMP_CMP_EQ', 1n << 64n)])] }, /not a u64/],
      [{ rules: [rule(['read'], 'SCMP_ACT_KILL', [], 5)] }, /errnoRet with SCMP_ACT_KILL on syscalls\[0\]/],
      [{ rules: [rule(['read'], 'SCMP_ACT_NOTIFY' as SeccompAction)] }, /unknown seccomp action/],
      [{ rules: [rule(['re ad'], 'SCMP_ACT_ERRNO')] }, /syscall name/],
      [{ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, /unsupported seccomp flag/],
    ];
    for (const [more, re] of bad) {
      assert.throws(() => compileSeccomp(plan('SCMP_ACT_ERRNO', [], more)), (e: unknown) => {
        assert.ok(e instanceof KernelError, String(e));
        assert.equal(e.syscall, 'validate');
        assert.match(e.message, re);
        return true;
      });
    }
  });

  test('the native side refuses malformed records too (a JS caller past the encoder)', () => {
    const compile = (recs: string[]): Buffer | StageResult => nativeAddon().seccompCompile(Buffer.from(recs.map((r) => `${r}\0`).join('')));
    const cases: [string[], string][] = [
      [['default=SCMP_ACT_ALLOW', 'r_action=SCMP_ACT_ERRNO', 'r_name=read', 'r_arg=0 SCMP_CMP_BOGUS 1 0'], 'seccomp arg'],
      [['default=SCMP_ACT_ALLOW', 'r_action=SCMP_ACT_ERRNO', 'r_name=read', 'r_arg=6 SCMP_CMP_EQ 1 0'], 'seccomp arg'],
      [['default=SCMP_ACT_ALLOW', 'r_action=SCMP_ACT_ERRNO', 'r_name=read', 'r_arg=0 SCMP_CMP_EQ 1'], 'seccomp arg'],
      [['default=SCMP_ACT_ALLOW', 'r_action=SCMP_ACT_ERRNO', 'r_errno=70000', 'r_name=read'], 'seccomp action'],
      [['default=SCMP_ACT_NOPE'], 'seccomp default action'],
      [['arch=SCMP_ARCH_X86'], 'seccomp default action'],
      [['default=SCMP_ACT_ALLOW', 'bogus=1'], 'seccomp record'],
    ];
    for (const [recs, what] of cases) {
      const r = compile(recs);
      assert.ok(!Buffer.isBuffer(r), recs.join(' '));
      assert.equal(r.syscall, 'validate', recs.join(' '));
      assert.equal(r.what, what, recs.join(' '));
      assert.equal(r.err, 22);
    }
    // and takes the same records when they are right
    assert.ok(Buffer.isBuffer(compile(['default=SCMP_ACT_ALLOW', 'r_action=SCMP_ACT_ERRNO', 'r_name=read', 'r_arg=0 SCMP_CMP_EQ 1 0'])));
  });

  test('without libseccomp.so.2: "libseccomp2 is not installed"', { skip: process.getuid?.() === 0 ? false : 'needs root (a mount namespace hides the library)' }, () => {
    // The library's file covered by /dev/null in a private mount namespace: dlopen fails as if it were absent.
    const lib = execFileSync('sh', ['-c', 'readlink -f "$(ldconfig -p | sed -n "s/.*libseccomp.so.2 .*=> //p" | head -1)"'], { encoding: 'utf8' }).trim();
    assert.ok(lib.startsWith('/'), 'libseccomp.so.2 in the ld cache');
    const script = `import { compileSeccomp, libseccompVersion } from ${JSON.stringify(join(ROOT, 'build/src/kernel/seccomp-compile.js'))};
      console.log(String(libseccompVersion()));
      try { compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [], flags: [], rules: [] }); console.log('compiled'); }
      catch (e) { console.log(e.message); }`;
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind /dev/null "$1" && exec "$2" --input-type=module -e "$3"`, 'sh', lib, process.execPath, script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [version, message] = r.stdout.trim().split('\n');
    assert.equal(version, 'null');
    assert.match(message ?? '', /^libseccomp2 is not installed/);
  });
});
