import { TsmError } from '../errors.js';
import type { BindMount, SeccompProfile } from '../kernel/types.js';
import type { Limits } from './limits.js';
import type { ContainerOptions } from './options.js';
import { parseBoolean, parseCount, parseCpuList, parseCpus, parseSeccomp, parseSize, parseUser, type Parsed } from './units.js';
import { parsePrivateUsers, type PrivateUsers } from './userns.js';
import { capabilityName } from './caps.js';
import { parseDevice, parseDeviceRule, type DeviceMapping, type DeviceRule } from './devices.js';
import { parseLxcfsMode, type LxcfsMode } from './lxcfs.js';

/**
 * One validated container: what the runtime core drives through systemd,
 * the kernel and the network. Built only by validateSpec(); stored as the
 * container's persistent spec, so a stopped container starts again as it was.
 */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Explicit payload argv; empty → the image's entrypoint + cmd. */
  command: string[];
  hostname: string;
  env: string[];
  binds: BindMount[];
  /** Empty → the image's working directory. */
  workdir: string;
  /** "USER[:GROUP]"; empty → the image's User, else root. Absent in state written before it existed. */
  user?: string;
  /** A user namespace; the range itself is reserved at creation (StoredSpec.userns). Absent: no. */
  privateUsers?: PrivateUsers;
  /** The payload's (and exec's) syscall filter. Absent in state written before it existed: 'default'. */
  seccomp?: SeccompProfile;
  /** PR_SET_NO_NEW_PRIVS for the payload and exec'd commands. Absent: false. */
  noNewPrivileges?: boolean;
  /** Capability names (config/caps.ts) added to and dropped from docker's default set. Absent: none. */
  capAdd?: string[];
  capDrop?: string[];
  /** All capabilities, no seccomp filter, no device policy, no masked paths. Absent: false. */
  privileged?: boolean;
  /** /dev/shm's size in bytes. Absent: nspawn's bound (10% of RAM). */
  shmSize?: number;
  /** Host devices bound into /dev and allowed by the scope's device policy. Absent: none. */
  devices?: DeviceMapping[];
  /** Extra device policy rules, no node made. Absent: none. */
  deviceAllow?: DeviceRule[];
  /** /proc files from lxcfs (runtime/proc-view.ts). Absent: 'auto'. */
  lxcfs?: LxcfsMode;
  limits: Limits;
  /** Network options as typed; the network module parses them. */
  network: { mode: string; ip?: string; publish: string[]; dns: string[] };
}

export class SpecError extends TsmError {
  readonly module = 'spec';
  constructor(readonly field: keyof ContainerOptions | 'name', message: string) {
    super(message);
  }
}

/** What validation may ask of the machine (passed in so the logic stays pure). */
export interface SpecEnvironment {
  onlineCpus: readonly number[];
  /** Is this host path present (bind sources)? */
  exists(path: string): boolean;
  /** What this host path is, for --device: a device node's kind, 'other', or null when absent. */
  deviceKind(path: string): 'char' | 'block' | 'other' | null;
}

/** How to name each option in an error: the flag by default, "FILE:LINE: Key=" for settings. */
export type OptionLabels = Partial<Record<keyof ContainerOptions, string>>;

const FLAG: Record<keyof ContainerOptions, string> = {
  image: '--image', command: 'the command', cpus: '--cpus', memory: '--memory', pidsLimit: '--pids-limit',
  cpusetCpus: '--cpuset-cpus', ioWeight: '--io-weight', hostname: '--hostname', env: '--env', bind: '--bind',
  workdir: '--workdir', user: '--user', privateUsers: '--private-users', seccomp: '--seccomp', noNewPrivileges: '--no-new-privileges',
  capAdd: '--cap-add', capDrop: '--cap-drop', privileged: '--privileged', device: '--device', deviceAllow: 'DeviceAllow=',
  shmSize: '--shm-size', lxcfs: '--lxcfs',
  network: '--network', ip: '--ip', publish: '--publish', dns: '--dns',
};

/**
 * machined's rule for machine names is systemd's hostname_is_valid(): dot
 * separated labels of letters, digits and '-', at most 64 characters. We also
 * refuse a leading '-' or '.', which would read as an option or hidden file.
 */
export function machineNameProblem(name: string): string | null {
  if (name.length === 0) return 'a container name is required';
  if (name.length > 64) return `container name '${name}' is longer than 64 characters`;
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)*$/.test(name))
    return `container name '${name}' is not valid: use letters, digits, '-' and '.', starting with a letter or digit`;
  return null;
}

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*$/;
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*=/;

export function validateSpec(
  name: string,
  o: ContainerOptions,
  env: SpecEnvironment,
  labels: OptionLabels = {},
): ContainerSpec {
  const nameProblem = machineNameProblem(name);
  if (nameProblem) throw new SpecError('name', nameProblem);
  const label = (f: keyof ContainerOptions): string => labels[f] ?? FLAG[f];
  const want = <T>(f: keyof ContainerOptions, text: string, r: Parsed<T>): T => {
    if (!r.ok) throw new SpecError(f, `${label(f)} '${text}' ${r.reason}`);
    return r.value;
  };

  const limits: Limits = {};
  if (o.cpus !== undefined) limits.cpus = want('cpus', o.cpus, parseCpus(o.cpus));
  if (o.memory !== undefined) {
    const m = want('memory', o.memory, parseSize(o.memory));
    if (m !== null && m < 2 ** 20) throw new SpecError('memory', `${label('memory')} '${o.memory}' is below 1M, too little to start anything`);
    if (m !== null) limits.memory = m;
  }
  if (o.pidsLimit !== undefined) {
    const p = want('pidsLimit', o.pidsLimit, parseCount(o.pidsLimit, 1, 4194304, true));
    if (p !== null) limits.pids = p;
  }
  if (o.cpusetCpus !== undefined) {
    const cpus = want('cpusetCpus', o.cpusetCpus, parseCpuList(o.cpusetCpus));
    const missing = cpus.filter((c) => !env.onlineCpus.includes(c));
    if (missing.length > 0)
      throw new SpecError('cpusetCpus', `${label('cpusetCpus')} '${o.cpusetCpus}' names CPU ${missing.join(',')}, which this host does not have (online: ${env.onlineCpus.length > 0 ? `0-${Math.max(...env.onlineCpus)}` : 'none'})`);
    limits.cpuset = cpus;
  }
  if (o.ioWeight !== undefined) limits.ioWeight = want('ioWeight', o.ioWeight, parseCount(o.ioWeight, 1, 10000, false)) as number;

  const hostname = o.hostname ?? name;
  if (!HOSTNAME_RE.test(hostname) || hostname.length > 64)
    throw new SpecError('hostname', `${label('hostname')} '${hostname}' is not a valid hostname`);

  for (const e of o.env ?? [])
    if (!ENV_RE.test(e)) throw new SpecError('env', `${label('env')} '${e}' is not KEY=VALUE`);

  const binds = (o.bind ?? []).map((b) => parseBind(b, label('bind'), env));

  const workdir = o.workdir ?? '';
  if (workdir !== '' && !workdir.startsWith('/'))
    throw new SpecError('workdir', `${label('workdir')} '${workdir}' is not an absolute path`);

  const user = o.user !== undefined ? want('user', o.user, parseUser(o.user)) : '';
  const privateUsers: PrivateUsers = o.privateUsers !== undefined ? want('privateUsers', o.privateUsers, parsePrivateUsers(o.privateUsers)) : { mode: 'no' };
  const seccomp = o.seccomp !== undefined ? want('seccomp', o.seccomp, parseSeccomp(o.seccomp)) : 'default';
  const noNewPrivileges = o.noNewPrivileges !== undefined ? want('noNewPrivileges', o.noNewPrivileges, parseBoolean(o.noNewPrivileges)) : false;

  const privileged = o.privileged !== undefined ? want('privileged', o.privileged, parseBoolean(o.privileged)) : false;
  const caps = (f: 'capAdd' | 'capDrop'): string[] => (o[f] ?? []).map((c) => {
    const n = capabilityName(c);
    if (n === null) throw new SpecError(f, `${label(f)} '${c}' is not a capability (see capabilities(7): CAP_NET_ADMIN, NET_ADMIN or ALL)`);
    return n;
  });
  const capAdd = caps('capAdd');
  const capDrop = caps('capDrop');
  const devices = (o.device ?? []).map((d) => {
    const m = want('device', d, parseDevice(d));
    const kind = env.deviceKind(m.source);
    if (kind === null) throw new SpecError('device', `${label('device')} '${d}': ${m.source} does not exist on this host`);
    if (kind === 'other') throw new SpecError('device', `${label('device')} '${d}': ${m.source} is not a device node`);
    return m;
  });
  const deviceAllow = (o.deviceAllow ?? []).map((r) => want('deviceAllow', r, parseDeviceRule(r)));
  let shmSize: number | undefined;
  if (o.shmSize !== undefined) {
    const n = want('shmSize', o.shmSize, parseSize(o.shmSize));
    if (n === null) throw new SpecError('shmSize', `${label('shmSize')} '${o.shmSize}' must be a size: /dev/shm is always bounded`);
    shmSize = n;
  }
  const lxcfs = o.lxcfs !== undefined ? want('lxcfs', o.lxcfs, parseLxcfsMode(o.lxcfs)) : 'auto';

  const command = o.command ?? [];
  if (command.length > 0 && command[0] === '') throw new SpecError('command', 'the command is an empty string');

  const image = o.image ?? name;
  if (image === '') throw new SpecError('image', `${label('image')} is empty`);

  return {
    name, image, command, hostname, env: [...(o.env ?? [])], binds, workdir, user, privateUsers,
    seccomp: privileged ? 'unconfined' : seccomp, noNewPrivileges,
    ...(capAdd.length > 0 ? { capAdd } : {}),
    ...(capDrop.length > 0 ? { capDrop } : {}),
    ...(privileged ? { privileged } : {}),
    ...(devices.length > 0 ? { devices } : {}),
    ...(deviceAllow.length > 0 ? { deviceAllow } : {}),
    ...(shmSize !== undefined ? { shmSize } : {}),
    ...(lxcfs !== 'auto' ? { lxcfs } : {}),
    limits,
    network: {
      mode: o.network ?? 'bridge',
      ...(o.ip !== undefined ? { ip: o.ip } : {}),
      publish: [...(o.publish ?? [])],
      dns: [...(o.dns ?? [])],
    },
  };
}

function parseBind(text: string, flag: string, env: SpecEnvironment): BindMount {
  const parts = text.split(':');
  let readonly = false;
  if (parts.length === 3) {
    if (parts[2] === 'ro') readonly = true;
    else if (parts[2] !== 'rw') throw new SpecError('bind', `${flag} '${text}' has option '${parts[2]}': use ro or rw`);
  } else if (parts.length !== 2) {
    throw new SpecError('bind', `${flag} '${text}' is not SRC:DST[:ro]`);
  }
  const [source, target] = parts as [string, string];
  if (!source.startsWith('/')) throw new SpecError('bind', `${flag} '${text}': source '${source}' is not an absolute path`);
  if (!target.startsWith('/')) throw new SpecError('bind', `${flag} '${text}': destination '${target}' is not an absolute path`);
  if (target.split('/').includes('..')) throw new SpecError('bind', `${flag} '${text}': destination must not contain '..'`);
  if (!env.exists(source)) throw new SpecError('bind', `${flag} '${text}': source ${source} does not exist`);
  return { source, target, readonly };
}
