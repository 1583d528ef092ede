/**
 * The contract between tsmachine-oci's runtime (src/runtime/oci/) and the
 * native OCI stages (native/src/oci-*.c), as src/kernel/types.ts is for
 * tsmachine's own containers. Everything here is already validated and
 * resolved to numbers by src/oci/ (the pure config.json mapping): the stages
 * only carry it out. Encoded as "key=value\0" records by src/kernel/oci.ts.
 */

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface OciNamespacePlan {
  type: OciNamespaceType;
  /** Join this namespace (a path such as /proc/PID/ns/net or a bind-mounted nsfs file); absent: create one. */
  path?: string;
}

/** One line of /proc/PID/uid_map or gid_map. */
export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciMountPlan {
  /** Absolute path inside the container (resolved in the rootfs, symlinks kept inside). */
  destination: string;
  /** Filesystem type; 'bind' for bind mounts (MS_BIND is in flags then). */
  type: string;
  /** Host path for binds, else the filesystem's source string ("proc", "tmpfs", ...). */
  source: string;
  /**
   * mount(2) flags: MS_BIND|MS_REC for rbind; MS_RDONLY, MS_NOSUID, MS_NODEV,
   * MS_NOEXEC, MS_*ATIME, MS_SYNCHRONOUS, MS_DIRSYNC... For a bind the stage
   * binds first and then remounts with MS_BIND|MS_REMOUNT and the rest.
   */
  flags: number;
  /** Propagation changes (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, each maybe |MS_REC), one mount(2) each, after the mount. */
  propagation: number[];
  /** Filesystem data ("mode=755,size=65536k"); '' for none. */
  data: string;
  /** 'rro': read-only recursively (mount_setattr AT_RECURSIVE) after the bind. */
  recursiveReadonly: boolean;
}

export interface OciDevicePlan {
  /** Absolute path inside the container, under /dev. */
  path: string;
  /** c (char), b (block), u (unbuffered char, same as c), p (FIFO). */
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  /** Permission bits (0666 when config.json leaves them out). */
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciRlimitPlan {
  /** RLIMIT_* number (RLIMIT_NOFILE = 7, ...). */
  resource: number;
  /** RLIM_INFINITY is 2^64-1. */
  soft: bigint;
  hard: bigint;
}

/** Bit N = capability N (kernel/caps.ts numbering). */
export interface OciCapSets {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

export interface OciHookPlan {
  /** Absolute path of the program (the host's for createRuntime/prestart/poststart/poststop/createContainer, the container's for startContainer). */
  path: string;
  /** argv, argv[0] included (empty: [path]). */
  args: string[];
  env: string[];
  /** Seconds; absent: no limit. */
  timeout?: number;
}

export interface OciSeccompProgram {
  /** struct sock_filter[] (8 bytes each), compiled by kernel/seccomp-compile.ts before the fork. */
  program: Uint8Array;
  /** seccomp(2) SECCOMP_FILTER_FLAG_* bits (TSYNC is never set: one thread). */
  flags: number;
}

/** What the payload (create's init, or exec's process) becomes. */
export interface OciProcessPlan {
  /** argv; argv[0] without a slash is looked up in PATH of env, before parking (create fails when it is missing). */
  args: string[];
  env: string[];
  /** Absolute, inside the container. */
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Absent: leave the umask as it is (0022). */
  umask?: number;
  capabilities: OciCapSets;
  rlimits: OciRlimitPlan[];
  noNewPrivileges: boolean;
  /** Written to /proc/self/oom_score_adj while still privileged. */
  oomScoreAdj?: number;
  /** AppArmor profile for the execve (/proc/self/attr/apparmor/exec); the caller checked AppArmor is on. */
  apparmorProfile?: string;
  seccomp?: OciSeccompProgram;
  /** A pty from the container's devpts: slave as controlling terminal and 0,1,2, master sent over consoleFd. */
  terminal: boolean;
  consoleSize?: { rows: number; cols: number };
}

export interface OciTimeOffset {
  secs: bigint;
  nanosecs: number;
}

export interface OciCreateRequest {
  id: string;
  /** Host path of the prepared rootfs (bound onto itself, never overlaid). */
  rootfs: string;
  readonlyRoot: boolean;
  namespaces: OciNamespacePlan[];
  /** Only with a new 'user' namespace: written by the child stage before init goes on. */
  uidMappings: IdMap[];
  gidMappings: IdMap[];
  /** Only with a new 'time' namespace (/proc/self/timens_offsets before init is cloned). */
  timeOffsets?: { monotonic?: OciTimeOffset; boottime?: OciTimeOffset };
  hostname?: string;
  domainname?: string;
  /** In config.json's order. */
  mounts: OciMountPlan[];
  /** config.json's linux.devices plus the spec's defaults (null, zero, full, random, urandom, tty), deduplicated by path. */
  devices: OciDevicePlan[];
  maskedPaths: string[];
  readonlyPaths: string[];
  /** linux.sysctl: [key with dots, value], written to /proc/sys after pivot_root. */
  sysctl: [string, string][];
  /** Propagation of / before the mounts (MS_SLAVE|MS_REC when config.json says nothing, as runc). */
  rootfsPropagation: number;
  /** --no-pivot: MS_MOVE + chroot instead of pivot_root (for a rootfs on ramfs). */
  noPivot: boolean;
  process: OciProcessPlan;
  createContainerHooks: OciHookPlan[];
  startContainerHooks: OciHookPlan[];
  // --- supplied by the runtime, not config.json ---
  /** exec.fifo in the container's state dir (the runtime mkfifo'd it): init parks opening it for writing; `start` opens it for reading. */
  fifoPath: string;
  /** The state JSON the container hooks read on stdin (written by the runtime before finish()). */
  stateFile: string;
  /** A connected --console-socket (when process.terminal); the stage closes its copy. */
  consoleFd?: number;
  /** --preserve-fds N: fds 3..3+N-1 of the caller stay open in the payload. */
  preserveFds: number;
}

export interface OciExecRequest {
  /** Host PID of the container's init: its namespaces are joined (user first when it has its own). */
  leaderPid: number;
  process: OciProcessPlan;
  consoleFd?: number;
  preserveFds: number;
  /** --detach: the exec stage exits as soon as the process exists, so it is reparented to the caller's subreaper (conmon). */
  detach: boolean;
}

/**
 * A created container's init between spawn and park. Its PID exists (for the
 * scope and machined); nothing is mounted yet. No process of ours stays
 * between the caller and init: the child stage that cloned it has exited.
 */
export interface OciParkedInit {
  readonly initPid: number;
  /**
   * Lets init set up everything (cgroup namespace, mounts, devices,
   * pivot_root, masks, sysctl, hostname, createContainer hooks, the console,
   * credentials...) and park on the fifo. Returns once it parked; throws
   * KernelError (stage, syscall, errno, path) when a step failed: init has
   * exited then.
   */
  finish(): void;
  /** Kills init (undo step). Safe to call twice. */
  abort(): void;
}

/** An OCI exec'd process parked until it is in the container's scope. */
export interface OciParkedExec {
  /** Host PID of the process (pid file, AttachProcessesToUnit). */
  readonly pid: number;
  /** Lets it exec; throws KernelError when a step before execve failed. */
  release(): void;
  /** Without detach: resolves with its exit status (128+signal when killed). */
  wait(): Promise<number>;
  abort(): void;
}

/** A runtime-spec seccomp action libseccomp knows (SCMP_ACT_NOTIFY is refused earlier: no listener here). */
export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG';

export type SeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArgPlan {
  index: number;
  value: bigint;
  valueTwo: bigint;
  op: SeccompOperator;
}

export interface SeccompRulePlan {
  /** Syscall names; a name this libseccomp does not know is skipped, as runc and crun do. */
  names: string[];
  action: SeccompAction;
  /** errno for SCMP_ACT_ERRNO (default EPERM), or the tracer's value for SCMP_ACT_TRACE. */
  errnoRet?: number;
  args: SeccompArgPlan[];
}

/** linux.seccomp, validated (src/oci/) and ready for libseccomp (kernel/seccomp-compile.ts). */
export interface SeccompProfilePlan {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** libseccomp names: SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64... (the native one is always in). */
  architectures: string[];
  /** SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW (TSYNC is accepted and meaningless: one thread). */
  flags: string[];
  rules: SeccompRulePlan[];
}
