import { nativeAddon, failure } from './addon.js';
import { KernelError } from './errors.js';
import { EINVAL } from './errno.js';
import type { OciSeccompProgram, SeccompAction, SeccompOperator, SeccompProfilePlan } from './oci-types.js';

/**
 * linux.seccomp of an OCI bundle, compiled to classic BPF by libseccomp
 * (native/src/seccomp-compile.c) in this process, before any fork: the OCI
 * stages only hand the bytes to seccomp(2), since a forked copy of Node must
 * not allocate. libseccomp.so.2 (Debian's libseccomp2) is opened on first
 * use; tsmachine's own containers never need it.
 */

/** The actions we compile (SCMP_ACT_NOTIFY is not among them: there is no listener to hand the fd to). */
export const SECCOMP_ACTIONS: readonly SeccompAction[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG',
];

export const SECCOMP_OPERATORS: readonly SeccompOperator[] = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
];

/** The runtime-spec's architecture names; which of them this libseccomp knows: supportedSeccompArches(). */
export const SECCOMP_ARCHES: readonly string[] = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];

/**
 * seccomp(2)'s SECCOMP_FILTER_FLAG_* for the spec's flags. TSYNC is accepted
 * and means nothing: the stage that loads the filter has one thread.
 * WAIT_KILLABLE_RECV is left out: the kernel takes it only with a
 * notification listener (SCMP_ACT_NOTIFY), which we do not offer.
 */
export const SECCOMP_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 0,
  SECCOMP_FILTER_FLAG_LOG: 1 << 1,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 1 << 2,
};

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
const MAX_INSTRUCTIONS = 4096;
const U64_MAX = (1n << 64n) - 1n;

function invalid(what: string, path: string): KernelError {
  return new KernelError({ stage: 'parent', syscall: 'validate', what, errno: EINVAL, path });
}

function token(what: string, s: string): string {
  if (s === '' || /[\0\s]/.test(s)) throw invalid(what, s);
  return s;
}

/** errno for ERRNO and TRACE (runtime-spec: an errnoRet on another action is an error). */
function errnoRecord(action: SeccompAction, errnoRet: number | undefined, where: string): string | undefined {
  if (errnoRet === undefined) return undefined;
  if (action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') throw invalid(`errnoRet with ${action}`, where);
  if (!Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 0xffff) throw invalid('errnoRet is not 0..65535', `${where}: ${errnoRet}`);
  return String(errnoRet);
}

function action(a: SeccompAction, where: string): string {
  if (!SECCOMP_ACTIONS.includes(a)) throw invalid('unknown seccomp action', `${where}: ${String(a)}`);
  return a;
}

/** The records native/src/seccomp-compile.c reads (see its header). Exported for the unit tests. */
export function encodeSeccomp(plan: SeccompProfilePlan): Buffer {
  const parts: string[] = [];
  const add = (k: string, v: string): void => { parts.push(`${k}=${v}\0`); };
  add('default', action(plan.defaultAction, 'defaultAction'));
  const de = errnoRecord(plan.defaultAction, plan.defaultErrnoRet, 'defaultErrnoRet');
  if (de !== undefined) add('default_errno', de);
  for (const a of plan.architectures) add('arch', token('seccomp architecture', a));
  plan.rules.forEach((rule, i) => {
    const where = `syscalls[${i}]`;
    add('r_action', action(rule.action, where));
    const e = errnoRecord(rule.action, rule.errnoRet, where);
    if (e !== undefined) add('r_errno', e);
    for (const n of rule.names) add('r_name', token('syscall name', n));
    for (const arg of rule.args) {
      if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) throw invalid('argument index is not 0..5', `${where}: ${arg.index}`);
      if (!SECCOMP_OPERATORS.includes(arg.op)) throw invalid('unknown seccomp operator', `${where}: ${String(arg.op)}`);
      for (const v of [arg.value, arg.valueTwo])
        if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw invalid('argument value is not a u64', `${where}: ${String(v)}`);
      add('r_arg', `${arg.index} ${arg.op} ${arg.value} ${arg.valueTwo}`);
    }
  });
  return Buffer.from(parts.join(''), 'utf8');
}

/** seccomp(2) flags for the plan's flag names. */
export function seccompFilterFlags(names: readonly string[]): number {
  let flags = 0;
  for (const n of names) {
    const bit = Object.hasOwn(SECCOMP_FLAGS, n) ? SECCOMP_FLAGS[n] : undefined;
    if (bit === undefined) throw invalid('unsupported seccomp flag', n);
    flags |= bit;
  }
  return flags;
}

/**
 * The profile as a BPF program for seccomp(SECCOMP_SET_MODE_FILTER) and the
 * flags to load it with. Names this libseccomp does not know are skipped (as
 * runc and crun); an unknown architecture, a rule libseccomp refuses, or a
 * program longer than the kernel takes throws KernelError (path
 * "syscalls[N]": N indexes plan.rules; syscall "validate" for what the
 * encoder refuses). Without libseccomp.so.2: "libseccomp2 is not installed".
 */
export function compileSeccomp(plan: SeccompProfilePlan): OciSeccompProgram {
  const flags = seccompFilterFlags(plan.flags);
  const out = nativeAddon().seccompCompile(encodeSeccomp(plan));
  if (!Buffer.isBuffer(out)) {
    const err = failure(out);
    if (out.syscall === 'dlopen') err.message = 'libseccomp2 is not installed (libseccomp.so.2 compiles seccomp profiles): apt install libseccomp2';
    throw err;
  }
  if (out.length === 0 || out.length % 8 !== 0) throw new KernelError({ stage: 'parent', syscall: 'seccomp_export_bpf', what: `${out.length} bytes`, errno: EINVAL, path: '' });
  if (out.length / 8 > MAX_INSTRUCTIONS)
    throw new KernelError({ stage: 'parent', syscall: 'seccomp_export_bpf', what: `${out.length / 8} instructions (the kernel takes ${MAX_INSTRUCTIONS})`, errno: EINVAL, path: '' });
  return { program: new Uint8Array(out.buffer, out.byteOffset, out.length), flags };
}

/** libseccomp.so.2's version ("2.5.4"), or null when it is not installed: `features` reports it. */
export function libseccompVersion(): string | null {
  return nativeAddon().seccompVersion();
}

/** The SECCOMP_ARCHES this libseccomp resolves ([] without it). */
export function supportedSeccompArches(): string[] {
  const addon = nativeAddon();
  return SECCOMP_ARCHES.filter((a) => addon.seccompArch(a) > 0);
}
