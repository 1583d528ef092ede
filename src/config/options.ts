/**
 * A container as the user asked for it, before validation: every value is
 * still the text that was typed (a flag) or written (a settings file). Flags
 * and settings files both produce this shape; config/spec.ts validates the
 * merge of them into a ContainerSpec.
 */
export interface ContainerOptions {
  image?: string;
  /** Payload argv; an empty array means "the image's default". */
  command?: string[];
  /** "0.5" (CPUs). Settings' CPUQuota=50% arrives here as "0.5". */
  cpus?: string;
  /** "64M", "1G", bytes; binary units. */
  memory?: string;
  /** "100" or "infinity". */
  pidsLimit?: string;
  /** "0-1,3". */
  cpusetCpus?: string;
  ioWeight?: string;
  hostname?: string;
  /** "K=V" entries, accumulated. */
  env?: string[];
  /** "SRC:DST[:ro]" entries, accumulated. */
  bind?: string[];
  workdir?: string;
  /** "USER[:GROUP]", names or ids, as docker's --user. */
  user?: string;
  /** "no" | "pick" | "BASE[:SIZE]": a user namespace (nspawn's --private-users). */
  privateUsers?: string;
  /** "default" | "unconfined": the syscall filter, as docker's --security-opt seccomp=. */
  seccomp?: string;
  /** A boolean as typed: the flag gives "yes", settings' NoNewPrivileges= "yes" or "no". */
  noNewPrivileges?: string;
  /** "NAME" entries (CAP_ prefix optional, or ALL), accumulated: docker's --cap-add, nspawn's Capability=. */
  capAdd?: string[];
  /** As capAdd: docker's --cap-drop, nspawn's DropCapability=. */
  capDrop?: string[];
  /** A boolean as typed: every capability, no syscall filter, no device policy, no masked paths. */
  privileged?: string;
  /** /dev/shm's size, "64M" (docker's --shm-size). */
  shmSize?: string;
  /** "HOST[:CONTAINER][:rwm]" entries (docker's --device, settings' Device=), accumulated. */
  device?: string[];
  /** "PATH [rwm]" entries (systemd's DeviceAllow=): allowed by the device policy, no node made. */
  deviceAllow?: string[];
  /** "auto" | "yes" | "no" (or a boolean): per-container /proc views from lxcfs. */
  lxcfs?: string;
  /** "bridge" | "none" | "host" | "macvlan:PARENT" | "ipvlan:PARENT". */
  network?: string;
  ip?: string;
  /** "[HOSTIP:]HOSTPORT:CPORT[/tcp|udp]" entries. */
  publish?: string[];
  dns?: string[];
}

/** Where a value came from, for `tsmachine config NAME`: "default", "flag", or "FILE:LINE". */
export type OptionOrigins = Partial<Record<keyof ContainerOptions, string>>;
