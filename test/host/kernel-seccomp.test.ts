import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import type { ExecRequest, SpawnRequest } from '../../src/kernel/types.js';
import { ROOT } from '../../src/paths.js';
import { nativeAddon } from '../../src/kernel/addon.js';
import { type Captured, ensureNative, execCaptured, type Fixture, makeFixture, runCaptured, skipReason } from './kernel-fixture.js';

/**
 * native/src/seccomp.c: the deny list inside a real container (a static probe
 * compiled into the busybox fixture makes the calls), and the BPF program
 * itself run through a small interpreter for the paths this host cannot take
 * (i386 calls need IA32 emulation, x32 a kernel built with it).
 */

const PROBE_SRC = join(ROOT, 'test/fixtures/seccomp-probe.c');
const PROBE32_SRC = join(ROOT, 'test/fixtures/seccomp-probe-i386.c');

function hasGcc(): boolean {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** "name=ERRNO" lines of the probe as a map. */
function parseProbe(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^(\w+)=(\w+)$/gm)) r[m[1]!] = m[2]!;
  return r;
}

/** kernel.io_uring_disabled (Linux 6.6+) is 0 or absent: unconfined calls reach io_uring. */
const ioUringEnabled = (): boolean => {
  try { return readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() === '0'; } catch { return true; }
};

const statusField = (out: string, key: string): string | undefined => new RegExp(`^${key}:\\s+(\\d+)$`, 'm').exec(out)?.[1];

/** Denied by the default filter: EPERM; all of them fail otherwise only with another errno or succeed (see the probe). */
const DENIED = ['keyctl', 'add_key', 'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at', 'setns', 'settimeofday',
  'swapon', 'init_module', 'kexec_load', 'syslog', 'acct', 'socket_alg', 'personality_no_aslr', 'unshare_user', 'clone_user',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'kcmp'];
const ALLOWED = ['getpid', 'personality_query', 'socket_unix', 'unshare_files', 'clone_plain'];

describe('seccomp filter (native seccomp.c)', { skip: skipReason() ?? (hasGcc() ? false : 'needs gcc for the probe') }, () => {
  let f: Fixture;
  before(() => {
    ensureNative();
    f = makeFixture();
    execFileSync('gcc', ['-static', '-O2', '-o', join(f.lower, 'bin/probe'), PROBE_SRC], { stdio: 'inherit' });
  });
  after(() => f.cleanup());

  const run = (over: Partial<SpawnRequest>): Promise<Captured> => runCaptured(f, { env: ['PATH=/bin'], ...over });

  const PROBE = 'probe; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status';

  test('by default: the deny list answers EPERM, clone3 and x32 ENOSYS, the rest works; Seccomp: 2, NoNewPrivs: 0', async () => {
    const r = await run({ argv: ['sh', '-c', PROBE] });
    assert.equal(r.code, 0, r.out);
    const p = parseProbe(r.out);
    for (const name of DENIED) assert.equal(p[name], 'EPERM', `${name} in\n${r.out}`);
    assert.equal(p.clone3, 'ENOSYS', r.out);
    assert.equal(p.x32_getpid, 'ENOSYS', r.out);
    for (const name of ALLOWED) assert.equal(p[name], '0', `${name} in\n${r.out}`);
    assert.notEqual(p.name_to_handle_at, 'EPERM', 'name_to_handle_at stays allowed, as docker');
    assert.equal(statusField(r.out, 'Seccomp'), '2');
    assert.equal(statusField(r.out, 'NoNewPrivs'), '0');
  });

  test('ordinary root work still works under the filter: sh, ls, chown, binding port 80, fork', async () => {
    const script = [
      'ls / >/dev/null && echo ls=ok',
      'chown 1:1 /root && echo chown=ok',
      'nc -l -p 80 & sleep 0.3; kill $! 2>/dev/null && echo bind80=ok || echo bind80=failed',
      '(echo sub) >/dev/null && echo fork=ok',
      'grep Seccomp: /proc/self/status',
    ].join('\n');
    const r = await run({ argv: ['sh', '-c', script] });
    assert.equal(r.code, 0, r.out);
    for (const l of ['ls=ok', 'chown=ok', 'bind80=ok', 'fork=ok']) assert.ok(r.out.split('\n').includes(l), `${l} in\n${r.out}`);
    assert.equal(statusField(r.out, 'Seccomp'), '2');
  });

  test('unconfined: no filter (Seccomp: 0), the same calls get past it', async () => {
    const r = await run({ argv: ['sh', '-c', PROBE], seccomp: 'unconfined' });
    assert.equal(r.code, 0, r.out);
    const p = parseProbe(r.out);
    assert.equal(statusField(r.out, 'Seccomp'), '0');
    // The kernel's own answers, which the filter would have turned into EPERM / ENOSYS.
    assert.equal(p.keyctl, 'EOPNOTSUPP', r.out);
    assert.equal(p.setns, 'EBADF', r.out);
    assert.equal(p.add_key, 'EFAULT', r.out);
    assert.equal(p.perf_event_open, 'EFAULT', r.out);
    assert.equal(p.open_by_handle_at, 'EFAULT', r.out);
    assert.notEqual(p.socket_alg, 'EPERM', r.out);
    assert.equal(p.personality_no_aslr, '0', r.out);
    assert.equal(p.clone3, 'EINVAL', r.out);
    assert.equal(p.kcmp, '0', r.out);
    assert.equal(p.io_uring_enter, 'EBADF', r.out);
    // io_uring_setup's own answer to a NULL params pointer, unless the host switched io_uring off (6.6's sysctl).
    if (ioUringEnabled()) assert.equal(p.io_uring_setup, 'EFAULT', r.out);
  });

  test('--no-new-privileges sets NoNewPrivs: 1, with or without the filter', async () => {
    const grep = ['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'];
    const on = await run({ argv: grep, noNewPrivileges: true });
    assert.equal(statusField(on.out, 'NoNewPrivs'), '1', on.out);
    assert.equal(statusField(on.out, 'Seccomp'), '2', on.out);
    const both = await run({ argv: grep, noNewPrivileges: true, seccomp: 'unconfined' });
    assert.equal(statusField(both.out, 'NoNewPrivs'), '1', both.out);
    assert.equal(statusField(both.out, 'Seccomp'), '0', both.out);
  });

  test('i386 calls (int $0x80) meet the same list under their own numbers', async (t) => {
    const bin = join(f.lower, 'bin/probe32');
    try {
      execFileSync('gcc', ['-m32', '-nostdlib', '-ffreestanding', '-fno-builtin', '-fno-stack-protector', '-fno-pie', '-no-pie', '-static', '-O2', '-o', bin, PROBE32_SRC], { stdio: 'ignore' });
    } catch {
      t.skip('gcc cannot build -m32 here');
      return;
    }
    // (glibc's execvp hands an ENOEXEC file to /bin/sh, so look at the output, not for an error.)
    const host = spawnSync(bin, { encoding: 'utf8' });
    if (!host.stdout?.includes('getpid=0')) {
      t.skip('this kernel does not run i386 binaries (no IA32 emulation)');
      return;
    }
    const e = constants.errno;
    const on = await run({ argv: ['probe32'] });
    assert.deepEqual(parseProbe(on.out), {
      keyctl: String(e.EPERM), nr250: String(e.EBADF), setns: String(e.EPERM), personality_no_aslr: String(e.EPERM),
      clone3: String(e.ENOSYS), getpid: '0', unshare_user: String(e.EPERM),
    }, on.out);
    const off = parseProbe((await run({ argv: ['probe32'], seccomp: 'unconfined' })).out);
    assert.equal(off.keyctl, String(e.EOPNOTSUPP));
    assert.equal(off.setns, String(e.EBADF));
    assert.equal(off.clone3, String(e.EINVAL));
  });

  test('exec gets what it is given: the filter and no_new_privs, as the container has them', async () => {
    async function execIn(c: { initPid: number }, over: Partial<ExecRequest>): Promise<string> {
      const r = await execCaptured(f, { leaderPid: c.initPid, argv: ['sh', '-c', PROBE], env: ['PATH=/bin'], cwd: '/', ...over });
      assert.equal(r.code, 0, r.out);
      return r.out;
    }
    for (const conf of [{ seccomp: 'default', noNewPrivileges: false }, { seccomp: 'unconfined', noNewPrivileges: true }] as const) {
      const c = spawnContainer(f.request({ argv: ['sleep', '1000'], ...conf }));
      c.release();
      const exited = waitExit(c.monitorPid);
      try {
        const out = await execIn(c, conf);
        const p = parseProbe(out);
        assert.equal(statusField(out, 'Seccomp'), conf.seccomp === 'default' ? '2' : '0', out);
        assert.equal(statusField(out, 'NoNewPrivs'), conf.noNewPrivileges ? '1' : '0', out);
        assert.equal(p.keyctl, conf.seccomp === 'default' ? 'EPERM' : 'EOPNOTSUPP', out);
        if (conf.seccomp === 'default') assert.equal(p.unshare_user, 'EPERM', out);
      } finally {
        kill(c.initPid, 9);
        await exited;
      }
    }
  });
});

// --- the program itself -------------------------------------------------------

interface Insn { code: number; jt: number; jf: number; k: number }

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;
const ALLOW = 0x7fff0000;
const errnoRet = (e: number): number => 0x00050000 | e;
const EPERM = 1, ENOSYS = 38;

function loadProgram(): Insn[] {
  const buf = nativeAddon().seccompProgram();
  assert.ok(typeof buf !== 'number' && buf.length > 0, `seccompProgram returned ${String(buf)}`);
  const n = buf.length / 8;
  return Array.from({ length: n }, (_, i) => ({ code: buf.readUInt16LE(8 * i), jt: buf[8 * i + 2]!, jf: buf[8 * i + 3]!, k: buf.readUInt32LE(8 * i + 4) }));
}

/** Classic BPF as the kernel runs a seccomp filter, for the opcodes seccomp.c emits (anything else fails the test). */
function runFilter(prog: Insn[], arch: number, nr: number, args: number[] = []): number {
  const data = Buffer.alloc(64); // struct seccomp_data: nr, arch, instruction_pointer, args[6]
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  args.forEach((a, i) => data.writeBigUInt64LE(BigInt(a >>> 0), 16 + 8 * i));
  let acc = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    switch (code) {
      case 0x20: acc = data.readUInt32LE(k); break; // LD|W|ABS
      case 0x15: pc += acc === k ? jt : jf; break; // JMP|JEQ|K
      case 0x35: pc += acc >= k ? jt : jf; break; // JMP|JGE|K
      case 0x45: pc += (acc & k) !== 0 ? jt : jf; break; // JMP|JSET|K
      case 0x05: pc += k; break; // JMP|JA
      case 0x06: return k; // RET|K
      default: throw new Error(`opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

/** The syscall names seccomp.c denies outright; each is checked against the kernel headers' numbers. */
const DENIED_NAMES = ['kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'create_module',
  'swapon', 'swapoff', 'acct', 'quotactl', 'quotactl_fd', 'settimeofday', 'stime', 'clock_settime', 'clock_settime64',
  'add_key', 'request_key', 'keyctl', 'bpf', 'perf_event_open', 'syslog', 'fanotify_init', 'lookup_dcookie', 'userfaultfd',
  'open_by_handle_at', 'setns', 'nfsservctl', 'iopl', 'ioperm', 'vm86', 'vm86old', 'uselib', '_sysctl',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'kcmp'];
/** Must stay allowed (a few docker allows that a careless list would catch). */
const ALLOWED_NAMES = ['read', 'write', 'openat', 'execve', 'capset', 'setresuid', 'setgroups', 'prctl', 'adjtimex', 'clock_adjtime',
  'name_to_handle_at', 'ptrace', 'reboot', 'fadvise64', 'seccomp', 'mount'];

/** __NR_name → number from an asm/unistd_{32,64}.h. */
function syscallTable(header: string): Map<string, number> {
  const t = new Map<string, number>();
  for (const m of readFileSync(header, 'utf8').matchAll(/^#define __NR_(\w+)\s+(\d+)$/gm)) t.set(m[1]!, Number(m[2]));
  return t;
}

const HEADERS = '/usr/include/x86_64-linux-gnu/asm';
const x86 = process.arch === 'x64' && existsSync(`${HEADERS}/unistd_32.h`) && existsSync(`${HEADERS}/unistd_64.h`);

describe('the seccomp BPF program (x86_64 build)', { skip: x86 ? false : 'x86_64 with kernel headers only' }, () => {
  let prog: Insn[];
  before(() => { ensureNative(); prog = loadProgram(); });

  for (const [abi, arch, header] of [['x86_64', AUDIT_ARCH_X86_64, 'unistd_64.h'], ['i386', AUDIT_ARCH_I386, 'unistd_32.h']] as const) {
    test(`${abi}: every denied name is EPERM by its own number, allowed ones pass`, () => {
      const nr = syscallTable(`${HEADERS}/${header}`);
      let checked = 0;
      for (const name of DENIED_NAMES) {
        const n = nr.get(name);
        if (n === undefined) continue; // not on this ABI (vm86 on x86_64, kexec_file_load on i386)
        assert.equal(runFilter(prog, arch, n), errnoRet(EPERM), `${abi} ${name} (${n})`);
        checked++;
      }
      assert.ok(checked >= 29, `${checked} names checked`);
      for (const name of ALLOWED_NAMES) {
        const n = nr.get(name);
        if (n !== undefined) assert.equal(runFilter(prog, arch, n), ALLOW, `${abi} ${name} (${n})`);
      }
      // Every number nothing denies is allowed: no stray catch-all.
      const denied = new Set(DENIED_NAMES.map((x) => nr.get(x)));
      const special = new Set(['clone', 'clone3', 'unshare', 'personality', 'socket'].map((x) => nr.get(x)));
      for (const [name, n] of nr) if (!denied.has(n) && !special.has(n)) assert.equal(runFilter(prog, arch, n), ALLOW, `${abi} ${name}`);
    });

    test(`${abi}: clone and unshare with CLONE_NEW* are EPERM, clone3 ENOSYS, personality and socket by argument`, () => {
      const nr = syscallTable(`${HEADERS}/${header}`);
      const call = (name: string, ...args: number[]): number => runFilter(prog, arch, nr.get(name)!, args);
      const SIGCHLD = 17, CLONE_NEWUSER = 0x10000000, CLONE_NEWNS = 0x20000, CLONE_NEWNET = 0x40000000, CLONE_NEWTIME = 0x80;
      const CLONE_THREAD_FLAGS = 0x3d0f00; // glibc's pthread_create
      assert.equal(call('clone', SIGCHLD), ALLOW);
      assert.equal(call('clone', CLONE_THREAD_FLAGS), ALLOW);
      assert.equal(call('clone', CLONE_NEWUSER | SIGCHLD), errnoRet(EPERM));
      assert.equal(call('clone', CLONE_NEWNET | SIGCHLD), errnoRet(EPERM));
      assert.equal(call('unshare', CLONE_NEWUSER), errnoRet(EPERM));
      assert.equal(call('unshare', CLONE_NEWNS), errnoRet(EPERM));
      assert.equal(call('unshare', CLONE_NEWTIME), errnoRet(EPERM));
      assert.equal(call('unshare', 0x400 /* CLONE_FILES */), ALLOW);
      assert.equal(call('clone3', 0, 88), errnoRet(ENOSYS));
      for (const p of [0, 8, 0x20000, 0x20008, 0xffffffff]) assert.equal(call('personality', p), ALLOW, `persona 0x${p.toString(16)}`);
      for (const p of [0x40000, 0x400000, 0x1]) assert.equal(call('personality', p), errnoRet(EPERM), `persona 0x${p.toString(16)}`);
      for (const af of [1, 2, 10, 16, 17, 39, 41]) assert.equal(call('socket', af, 1, 0), ALLOW, `AF ${af}`);
      for (const af of [38, 40]) assert.equal(call('socket', af, 5, 0), errnoRet(EPERM), `AF ${af}`);
    });
  }

  test('the architecture decides the numbers: x86_64 keyctl (250) is i386 fadvise64 and passes there', () => {
    assert.equal(runFilter(prog, AUDIT_ARCH_X86_64, 250), errnoRet(EPERM));
    assert.equal(runFilter(prog, AUDIT_ARCH_I386, 250), ALLOW);
    assert.equal(runFilter(prog, AUDIT_ARCH_I386, 288), errnoRet(EPERM));
  });

  test('x32 calls and unknown ABIs get ENOSYS', () => {
    for (const n of [0, 39, 250, 512, 547]) assert.equal(runFilter(prog, AUDIT_ARCH_X86_64, 0x40000000 | n), errnoRet(ENOSYS), `x32 ${n}`);
    assert.equal(runFilter(prog, AUDIT_ARCH_ARM, 0), errnoRet(ENOSYS));
  });
});
