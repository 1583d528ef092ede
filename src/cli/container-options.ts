import type { ContainerOptions } from '../config/options.js';
import { flag, list, str, type OptionSpec, type Parsed } from './args.js';

/** The options that describe a container, shared by start and run. */
export const CONTAINER_OPTIONS: OptionSpec[] = [
  { long: 'image', kind: 'value', arg: 'IMG', help: 'image to run (default: the image named like the container)' },
  { long: 'cpus', kind: 'value', arg: 'N', help: 'CPU bandwidth, e.g. 0.5 (CPUQuotaPerSecUSec)' },
  { long: 'memory', short: 'm', kind: 'value', arg: 'SIZE', help: 'memory limit, e.g. 64M (MemoryMax)' },
  { long: 'pids-limit', kind: 'value', arg: 'N', help: 'maximum number of tasks (TasksMax)' },
  { long: 'cpuset-cpus', kind: 'value', arg: 'LIST', help: 'CPUs it may run on, e.g. 0-1 (AllowedCPUs)' },
  { long: 'io-weight', kind: 'value', arg: 'N', help: 'IO weight 1..10000 (IOWeight)' },
  { long: 'hostname', kind: 'value', arg: 'NAME', help: 'hostname inside (default: the container name)' },
  { long: 'env', short: 'e', kind: 'list', arg: 'K=V', help: 'environment variable (repeatable)' },
  { long: 'bind', short: 'v', kind: 'list', arg: 'SRC:DST[:ro]', help: 'bind mount a host path (repeatable)' },
  { long: 'workdir', short: 'w', kind: 'value', arg: 'DIR', help: 'working directory inside' },
  { long: 'user', short: 'u', kind: 'value', arg: 'USER[:GROUP]', help: "user to run as, names from the container's /etc/passwd (default: the image's User, else root)" },
  { long: 'private-users', kind: 'value', arg: 'pick|BASE[:SIZE]|no', help: "a user namespace: the container's root is host id BASE (pick: a free 64K range)" },
  { long: 'seccomp', kind: 'value', arg: 'PROFILE', help: "syscall filter: default (deny list after docker's profile) or unconfined" },
  { long: 'no-new-privileges', kind: 'flag', help: 'setuid binaries and file capabilities grant nothing (PR_SET_NO_NEW_PRIVS)' },
  { long: 'cap-add', kind: 'list', arg: 'CAP', help: "add a capability to docker's default set, or ALL (repeatable)" },
  { long: 'cap-drop', kind: 'list', arg: 'CAP', help: 'drop a capability, or ALL (repeatable)' },
  { long: 'privileged', kind: 'flag', help: 'UNSAFE: every capability, no seccomp filter, no device policy, no masked /proc paths: root inside is root of the host' },
  { long: 'device', kind: 'list', arg: 'HOST[:CONTAINER][:rwm]', help: 'give the container a host device node (repeatable; default access rwm)' },
  { long: 'shm-size', kind: 'value', arg: 'SIZE', help: "size of /dev/shm, e.g. 256M (default: 10% of the host's RAM)" },
  { long: 'lxcfs', kind: 'value', arg: 'auto|yes|no', help: "/proc/meminfo, cpuinfo, uptime... show the container's limits, from lxcfs (auto: when it runs)" },
  { long: 'network', kind: 'value', arg: 'MODE', help: 'bridge (default), none, host, macvlan:IF, ipvlan:IF' },
  { long: 'ip', kind: 'value', arg: 'ADDR', help: 'static address (bridge mode)' },
  { long: 'publish', short: 'p', kind: 'list', arg: '[IP:]HPORT:CPORT[/proto]', help: 'publish a port (repeatable)' },
  { long: 'dns', kind: 'list', arg: 'ADDR', help: 'DNS server for resolv.conf (repeatable)' },
];

export function containerOptionsFrom(p: Parsed, command: string[]): ContainerOptions {
  const o: ContainerOptions = {};
  const s = (k: string, set: (v: string) => void): void => { const v = str(p, k); if (v !== undefined) set(v); };
  const l = (k: string, set: (v: string[]) => void): void => { const v = list(p, k); if (v !== undefined) set(v); };
  s('image', (v) => (o.image = v));
  s('cpus', (v) => (o.cpus = v));
  s('memory', (v) => (o.memory = v));
  s('pids-limit', (v) => (o.pidsLimit = v));
  s('cpuset-cpus', (v) => (o.cpusetCpus = v));
  s('io-weight', (v) => (o.ioWeight = v));
  s('hostname', (v) => (o.hostname = v));
  l('env', (v) => (o.env = v));
  l('bind', (v) => (o.bind = v));
  s('workdir', (v) => (o.workdir = v));
  s('user', (v) => (o.user = v));
  s('private-users', (v) => (o.privateUsers = v));
  s('seccomp', (v) => (o.seccomp = v));
  if (flag(p, 'no-new-privileges')) o.noNewPrivileges = 'yes';
  l('cap-add', (v) => (o.capAdd = v));
  l('cap-drop', (v) => (o.capDrop = v));
  if (flag(p, 'privileged')) o.privileged = 'yes';
  l('device', (v) => (o.device = v));
  s('shm-size', (v) => (o.shmSize = v));
  s('lxcfs', (v) => (o.lxcfs = v));
  s('network', (v) => (o.network = v));
  s('ip', (v) => (o.ip = v));
  l('publish', (v) => (o.publish = v));
  l('dns', (v) => (o.dns = v));
  if (command.length > 0) o.command = command;
  return o;
}

/** True when any container-describing option was given (they only apply on creation). */
export function hasContainerOptions(p: Parsed): boolean {
  return CONTAINER_OPTIONS.some((s) => p.opts.has(s.long));
}
