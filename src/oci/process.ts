/**
 * process (of config.json, or the process.json of `exec --process`) →
 * OciProcessPlan without its seccomp program, which kernel/seccomp-compile.ts
 * adds from the plan in seccomp.ts.
 */
import type { OciProcessPlan } from '../kernel/oci-types.js';
import { capabilitySets } from './caps.js';
import { OciConfigError, at } from './errors.js';
import { rlimitPlans } from './rlimits.js';
import { parseProcess, type Process } from './spec.js';

export type ProcessPlan = Omit<OciProcessPlan, 'seccomp'>;

export interface ProcessPlanResult {
  process: ProcessPlan;
  /** process.selinuxLabel: the runtime refuses it when SELinux is off, applies it otherwise. */
  selinuxLabel?: string;
}

export function planProcess(proc: Process, path: string, warnings: string[]): ProcessPlanResult {
  const args = proc.args ?? [];
  if (args.length === 0) throw new OciConfigError(at(path, 'args'), 'is empty: there is nothing to run');
  args.forEach((a, i) => { if (a.includes('\0')) throw new OciConfigError(at(at(path, 'args'), i), 'contains a NUL byte'); });
  if (args[0] === '') throw new OciConfigError(at(at(path, 'args'), 0), 'is empty');
  if (proc.commandLine !== undefined && proc.commandLine !== '') throw new OciConfigError(at(path, 'commandLine'), 'is for Windows only');
  const env = proc.env ?? [];
  env.forEach((e, i) => {
    // execve would pass it, but nothing could read it back as a variable.
    if (e.indexOf('=') <= 0 || e.includes('\0')) throw new OciConfigError(at(at(path, 'env'), i), `'${e}' is not NAME=VALUE`);
  });
  if (proc.cwd === '') throw new OciConfigError(at(path, 'cwd'), 'is required');
  if (!proc.cwd.startsWith('/')) throw new OciConfigError(at(path, 'cwd'), `'${proc.cwd}' is not an absolute path`);
  for (const k of ['scheduler', 'ioPriority', 'execCPUAffinity'] as const)
    if (proc[k] !== undefined) throw new OciConfigError(at(path, k), 'is not supported by tsmachine-oci');
  const u = proc.user;
  const plan: ProcessPlan = {
    args: [...args],
    env: [...env],
    cwd: proc.cwd,
    uid: u.uid,
    gid: u.gid,
    additionalGids: [...(u.additionalGids ?? [])],
    ...(u.umask !== undefined ? { umask: u.umask } : {}),
    capabilities: capabilitySets(proc.capabilities, at(path, 'capabilities'), warnings),
    rlimits: rlimitPlans(proc.rlimits ?? [], at(path, 'rlimits')),
    noNewPrivileges: proc.noNewPrivileges ?? false,
    ...(proc.oomScoreAdj !== undefined ? { oomScoreAdj: proc.oomScoreAdj } : {}),
    ...(proc.apparmorProfile !== undefined && proc.apparmorProfile !== '' ? { apparmorProfile: proc.apparmorProfile } : {}),
    terminal: proc.terminal ?? false,
    // Without a terminal there is nothing to size (runc ignores it too).
    ...(proc.terminal && proc.consoleSize !== undefined ? { consoleSize: { rows: proc.consoleSize.height, cols: proc.consoleSize.width } } : {}),
  };
  return { process: plan, ...(proc.selinuxLabel !== undefined && proc.selinuxLabel !== '' ? { selinuxLabel: proc.selinuxLabel } : {}) };
}

/** `exec --process FILE`: the file is a runtime-spec process object; messages name that file. */
export function planExecProcess(json: unknown, warnings: string[], source = 'process.json'): ProcessPlanResult {
  try {
    return planProcess(parseProcess(json, ''), '', warnings);
  } catch (e) {
    if (e instanceof OciConfigError) throw new OciConfigError(e.field, e.detail, source);
    throw e;
  }
}
