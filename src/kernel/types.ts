import type { KernelError } from './errors.js';

/**
 * The contract between the runtime core and the native stage (native/).
 * Node never calls clone/setns/unshare/mount/pivot_root itself: it hands one
 * of these requests to the native library, which does the work in a
 * single-threaded forked stage that never returns into JavaScript.
 */

export interface BindMount {
  /** Host path (must exist). */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  readonly: boolean;
}

/** An overlay root: image layers (lowest first) plus the container's own dirs. */
export interface RootfsPlan {
  /** Lower layers, bottom first. The native stage reverses them for overlay's lowerdir= (top first). */
  lowerdirs: string[];
  upperdir: string;
  workdir: string;
  /** Empty host directory the overlay is mounted on, inside the container's mount namespace only. */
  mountpoint: string;
}

/**
 * A new pseudo-terminal for the payload (-t). The stage allocates it in the
 * container's own devpts instance (so `tty` inside names /dev/pts/N), makes
 * the slave the payload's controlling terminal and its fds 0,1,2, and hands
 * the master to `onMaster` during release(), before the payload runs. The
 * callee owns that fd (close it, or give it to a stream that will).
 */
export interface PtyPlan {
  kind: 'pty';
  /** Initial window size; 0 leaves the kernel's (0x0). */
  rows: number;
  cols: number;
  onMaster(fd: number): void;
}

/**
 * Where the payload's stdio goes.
 * - journal: stdout/stderr are one journald stream connection made by the
 *   init stage after it sits in the scope, so journald attributes the lines to
 *   the scope unit; stdin is /dev/null. `identifier` becomes SYSLOG_IDENTIFIER;
 *   `unit` is journald's fallback for lines whose writer exited before it
 *   read the writer's cgroup (the stream header's unit id).
 * - inherit: the CLI's own fds 0,1,2 (foreground `run -i`).
 * - fds: these fds of the calling process become 0,1,2 (run without -i: stdin /dev/null; tests).
 * - pty: see PtyPlan (run -t, exec -t).
 */
export type StdioPlan =
  | { kind: 'journal'; identifier: string; unit?: string }
  | { kind: 'inherit' }
  | { kind: 'fds'; stdin: number; stdout: number; stderr: number }
  | PtyPlan;

/**
 * The payload's syscall filter (native/src/seccomp.c): 'default' denies what
 * a container has no business calling (module loading, the keyring, bpf, new
 * namespaces, ...), as docker's default profile; 'unconfined' installs none.
 */
export type SeccompProfile = 'default' | 'unconfined';

/** exec has no journal of its own: its output goes to the caller. */
export type ExecStdioPlan = Exclude<StdioPlan, { kind: 'journal' }>;

export interface SpawnRequest {
  /** Container name (machine name). */
  name: string;
  hostname: string;
  rootfs: RootfsPlan;
  binds: BindMount[];
  /** argv[0] is resolved against PATH from env inside the container when it has no slash. */
  argv: string[];
  /** "K=V" strings. */
  env: string[];
  /** Working directory inside the container. */
  cwd: string;
  /**
   * "USER[:GROUP]" (names or ids), resolved by the stage against the
   * container's own /etc/passwd and /etc/group; absent: root.
   */
  user?: string;
  /** --private-users: container id n is host id base + n (n < size); absent: the host's ids. */
  userns?: { base: number; size: number };
  /** true for --network host: no new network namespace. */
  shareHostNetwork: boolean;
  /** Absent: 'default'. */
  seccomp?: SeccompProfile;
  /** PR_SET_NO_NEW_PRIVS before exec: setuid bits and file capabilities grant nothing. Absent: false. */
  noNewPrivileges?: boolean;
  /** Capabilities kept (bounding, effective, permitted), bit N = capability N. Absent: docker's default set (kernel/caps.ts). */
  capabilities?: bigint;
  /** runc's masked and read-only /proc and /sys paths. Absent: true; false only for --privileged. */
  maskPaths?: boolean;
  /** /dev/shm's size in bytes (--shm-size). Absent: nspawn's bound, 10% of RAM. */
  shmSize?: number;
  stdio: StdioPlan;
  /** Absolute host path where the monitor writes the payload's exit status (decimal, 128+signal when killed) when it ends. */
  exitFile: string;
}

/**
 * A container whose init stage is parked at the barrier: it exists (so a scope
 * can be created with PIDs=[initPid, monitorPid]) but has mounted nothing and
 * runs no payload yet.
 */
export interface ParkedContainer {
  /** Host PID of the container's PID 1 (the machine leader). */
  readonly initPid: number;
  /**
   * Host PID of the small native monitor that waits for init and records its
   * exit status. It is a child of the calling process and exits with the
   * payload's status: a long-lived caller reaps it with waitExit(monitorPid).
   */
  readonly monitorPid: number;
  /**
   * Lets init build the root filesystem (overlay, /proc, /sys, /dev, binds,
   * pivot_root) while the caller goes on: call it once the upper dir holds
   * what it must (the /etc files) and the network is set up. Does not wait;
   * a failure is told by reportedFailure() or release(). release() does it
   * first if it was not done.
   */
  buildRootfs(): void;
  /** The failure init reported while building the root filesystem, if it did (never waits). */
  reportedFailure(): KernelError | null;
  /**
   * Lets init finish: cgroup namespace, journal stream, pty, capability drop,
   * exec. Returns once the payload has been exec'd; throws KernelError naming
   * the stage, syscall, errno and path when any step before exec failed
   * (init has then exited).
   */
  release(): void;
  /** Kills the parked stages (undo step). Safe to call twice. */
  abort(): void;
}

export interface ExecRequest {
  /** Host PID of the container's init, whose namespaces are joined. */
  leaderPid: number;
  argv: string[];
  env: string[];
  cwd: string;
  /** As SpawnRequest.user. */
  user?: string;
  /** As SpawnRequest's: the container's, so that exec is no way around them. */
  seccomp?: SeccompProfile;
  noNewPrivileges?: boolean;
  capabilities?: bigint;
  /** Default inherit: the caller's own fds 0,1,2. */
  stdio?: ExecStdioPlan;
}

/** A process that has joined the container's namespaces and waits at the barrier. */
export interface ParkedExec {
  /** Host PID of the process that will exec the command (to attach to the scope). */
  readonly pid: number;
  /** Lets it exec; throws KernelError if setns/chdir/exec failed. */
  release(): void;
  /** Resolves with the exit status (128+signal when killed). */
  wait(): Promise<number>;
  abort(): void;
}
