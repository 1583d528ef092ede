import { closeSync, openSync } from 'node:fs';
import type { ExecStdioPlan } from '../kernel/types.js';
import { readRuntime, readStoredSpec } from '../state/container.js';
import type { ResolvedImage } from '../image/index.js';
import type { RuntimeDeps } from './deps.js';
import { ContainerStateError } from './errors.js';
import { isAlive } from './liveness.js';
import { mergeEnv, payloadFor, type Payload } from './image-config.js';
import { capabilitySet } from '../config/caps.js';

/**
 * The caller's side of a -t session (the CLI's terminal): the size the new
 * pty starts with, who takes its master, and the end of the session.
 */
export interface PtyFrontend {
  readonly rows: number;
  readonly cols: number;
  /** Takes ownership of the master fd (called during release, before the payload runs). */
  attach(master: number): void;
  /** The payload exited: copy out what it left in the pty (briefly), then close it. */
  finish(): Promise<void>;
}

/**
 * Pipes the CLI relays in place of those of its fds 0, 1, 2 that are
 * terminals (without -t no host terminal reaches a container: see
 * src/cli/stdio-relay.ts). Each present fd is the container's end; an
 * absent one means the caller's own fd is passed.
 */
export interface StdioRelay {
  readonly stdin?: number;
  readonly stdout?: number;
  readonly stderr?: number;
  /** The stage has forked and holds its copies: close ours. */
  forked(): void;
}

/** How a foreground payload (run, exec) is wired to the caller, as docker's -i and -t. */
export interface PayloadIo {
  /** -i: the caller's stdin is the payload's; without it stdin is /dev/null. */
  interactive: boolean;
  /** -t: a new pty; stdin is relayed into it only with -i. */
  tty?: PtyFrontend;
  /** Without -t: pipes in place of the caller's terminals. */
  relay?: StdioRelay;
}

/** What to run: argv, extra "K=V" over the container's env, and --user (default: the payload's). */
export interface ExecCommand {
  argv: string[];
  env: string[];
  user?: string;
}

/** exec's wiring: PayloadIo, plus the CLI's signal relay (the command gets what the CLI receives). */
export type ExecIo = PayloadIo & { relaySignals?: (to: (sig: number) => void) => () => void };

/** The stdio plan for io, and what to close once the stage has forked (it holds its own copies). */
export function stdioPlanFor(io: PayloadIo): { plan: ExecStdioPlan; forked(): void } {
  if (io.tty) {
    const tty = io.tty;
    return { plan: { kind: 'pty', rows: tty.rows, cols: tty.cols, onMaster: (fd) => tty.attach(fd) }, forked: () => {} };
  }
  const relay = io.relay;
  if (io.interactive && !relay) return { plan: { kind: 'inherit' }, forked: () => {} };
  // A stray read must not eat the caller's input (or block on it).
  const devnull = io.interactive ? -1 : openSync('/dev/null', 'r');
  let open = true;
  return {
    plan: { kind: 'fds', stdin: io.interactive ? relay?.stdin ?? 0 : devnull, stdout: relay?.stdout ?? 1, stderr: relay?.stderr ?? 2 },
    forked: () => {
      if (open && devnull >= 0) closeSync(devnull);
      if (open) relay?.forked();
      open = false;
    },
  };
}

/**
 * Runs a command inside a running container: the native stage joins all of
 * its namespaces, and the process is moved into the container's unit with
 * AttachProcessesToUnit before it runs, so limits, device policy and
 * accounting apply and `systemd-cgls` shows it there: the scope, or in
 * service mode (tsmachine@NAME.service, --keep-unit) the service, whose
 * cgroup is the container's. Needs nothing inside the container (unlike
 * `machinectl shell`, which needs systemd and D-Bus in the guest).
 */
export async function execInContainer(
  deps: RuntimeDeps, name: string, command: ExecCommand, image: ResolvedImage | null,
  io: ExecIo = { interactive: true },
): Promise<number> {
  const { argv, env: extraEnv } = command;
  const stored = readStoredSpec(name);
  if (!stored) throw new ContainerStateError(name, `no container named ${name}`);
  const rt = readRuntime(name);
  if (!rt || !isAlive(deps.kernel, rt)) throw new ContainerStateError(name, `container ${name} is not running`);
  // As docker exec: the container's user unless the command names one.
  const base: Payload = image
    ? payloadFor(stored.spec, image.config)
    : { argv: [], env: stored.spec.env, cwd: stored.spec.workdir || '/', ...(stored.spec.user ? { user: stored.spec.user } : {}) };
  const user = command.user ?? base.user;
  const stdio = stdioPlanFor(io);
  let parked;
  try {
    parked = deps.kernel.execInContainer({
      leaderPid: rt.initPid, argv, env: mergeEnv(base.env, extraEnv), cwd: base.cwd, ...(user ? { user } : {}),
      // The container's confinement, as its capabilities: exec is no way around them.
      seccomp: stored.spec.seccomp ?? 'default', noNewPrivileges: stored.spec.noNewPrivileges ?? false,
      capabilities: capabilitySet(stored.spec.capAdd ?? [], stored.spec.capDrop ?? [], stored.spec.privileged ?? false),
      stdio: stdio.plan,
    });
  } finally {
    stdio.forked();
  }
  const bus = await deps.systemd().catch((e) => { parked.abort(); throw e; });
  try {
    await bus.scopes.attachProcesses(rt.unit, [parked.pid]);
  } catch (e) {
    parked.abort();
    throw e;
  } finally {
    bus.close();
  }
  // Signals sent to the CLI (kill, a closing terminal) go to the command, and
  // the CLI stays to report its status and restore the terminal.
  const pid = parked.pid;
  const stopRelay = io.relaySignals?.((sig) => { try { deps.kernel.kill(pid, sig); } catch { /* gone */ } });
  try {
    parked.release();
    return await parked.wait();
  } finally {
    stopRelay?.();
    await io.tty?.finish();
  }
}
