/**
 * linux.seccomp → SeccompProfilePlan, checked against the runtime-spec's
 * names so that kernel/seccomp-compile.ts only meets values libseccomp knows.
 * Compiled to BPF in the parent before any fork (the stages cannot load a library).
 */
import type { SeccompAction, SeccompOperator, SeccompProfilePlan, SeccompRulePlan } from '../kernel/oci-types.js';
import { OciConfigError, at } from './errors.js';
import type { LinuxSeccomp } from './spec.js';

export const SECCOMP_ACTIONS: readonly SeccompAction[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG',
];

export const SECCOMP_OPERATORS: readonly SeccompOperator[] = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
];

/** runtime-spec's Arch list (specs-go/config.go). */
export const SECCOMP_ARCHES: readonly string[] = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];

/**
 * runtime-spec's flags, plus TSYNC which older configs carry (meaningless
 * with one thread). WAIT_KILLABLE_RECV only changes how a notify listener
 * waits, and notify is refused, so it is refused too.
 */
export const SECCOMP_FLAGS: readonly string[] = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'];

const takesErrno = (a: SeccompAction): boolean => a === 'SCMP_ACT_ERRNO' || a === 'SCMP_ACT_TRACE';

function action(name: string, path: string): SeccompAction {
  if (name === 'SCMP_ACT_NOTIFY') throw new OciConfigError(path, "'SCMP_ACT_NOTIFY' is not supported by tsmachine-oci (no seccomp agent)");
  if (!(SECCOMP_ACTIONS as readonly string[]).includes(name)) throw new OciConfigError(path, `'${name}' is not a seccomp action (${SECCOMP_ACTIONS.join(', ')})`);
  return name as SeccompAction;
}

/** undefined: no filter (no seccomp object, or an empty defaultAction with no syscalls, as runc reads it). */
export function planSeccomp(s: LinuxSeccomp | undefined, path = 'linux.seccomp'): SeccompProfilePlan | undefined {
  if (s === undefined) return undefined;
  if (s.defaultAction === '' && (s.syscalls ?? []).length === 0) return undefined;
  if (s.listenerPath !== undefined && s.listenerPath !== '') throw new OciConfigError(at(path, 'listenerPath'), 'is not supported by tsmachine-oci (no seccomp agent)');
  const defaultAction = action(s.defaultAction, at(path, 'defaultAction'));
  // "When the action doesn't support an errno, the runtime MUST print and error and fail" (config-linux.md)
  if (s.defaultErrnoRet !== undefined && !takesErrno(defaultAction))
    throw new OciConfigError(at(path, 'defaultErrnoRet'), `is set but defaultAction ${defaultAction} takes no errno`);
  const architectures = (s.architectures ?? []).map((a, i) => {
    if (!SECCOMP_ARCHES.includes(a)) throw new OciConfigError(at(at(path, 'architectures'), i), `'${a}' is not a seccomp architecture (SCMP_ARCH_X86_64, ...)`);
    return a;
  });
  let flags: string[];
  if (s.flags === undefined) {
    // runc: no flags at all (not even []) means SPEC_ALLOW, so the filter does not
    // force the speculative-store-bypass mitigation on the payload.
    flags = ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'];
  } else {
    flags = s.flags.map((f, i) => {
      if (!SECCOMP_FLAGS.includes(f)) throw new OciConfigError(at(at(path, 'flags'), i), `'${f}' is not supported (${SECCOMP_FLAGS.join(', ')})`);
      return f;
    });
  }
  const rules: SeccompRulePlan[] = [];
  (s.syscalls ?? []).forEach((sc, i) => {
    const p = at(at(path, 'syscalls'), i);
    const act = action(sc.action, at(p, 'action'));
    if (sc.errnoRet !== undefined && !takesErrno(act)) throw new OciConfigError(at(p, 'errnoRet'), `is set but action ${act} takes no errno`);
    sc.names.forEach((n, j) => {
      if (!/^[a-z0-9_]+$/.test(n)) throw new OciConfigError(at(at(p, 'names'), j), `'${n}' is not a system call name`);
    });
    const args = (sc.args ?? []).map((a, j) => {
      const pa = at(at(p, 'args'), j);
      if (!(SECCOMP_OPERATORS as readonly string[]).includes(a.op)) throw new OciConfigError(at(pa, 'op'), `'${a.op}' is not a seccomp operator (${SECCOMP_OPERATORS.join(', ')})`);
      return { index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0n, op: a.op as SeccompOperator };
    });
    // A rule with no names matches nothing (runc makes no rule of it).
    if (sc.names.length === 0) return;
    rules.push({ names: sc.names, action: act, ...(sc.errnoRet !== undefined ? { errnoRet: sc.errnoRet } : {}), args });
  });
  return { defaultAction, ...(s.defaultErrnoRet !== undefined ? { defaultErrnoRet: s.defaultErrnoRet } : {}), architectures, flags, rules };
}
