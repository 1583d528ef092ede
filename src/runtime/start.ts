import type { ContainerSpec } from '../config/spec.js';
import type { ResolvedImage } from '../image/index.js';
import type { ParkedContainer, StdioPlan } from '../kernel/types.js';
import type { KernelError } from '../kernel/errors.js';
import { createContainerDirs, removeContainerDirs, rootfsPlan } from './container-dirs.js';
import { writeEtcFiles } from './etc-files.js';
import { containerPaths, removeRuntime, writeRuntime, writeStoredSpec, type RuntimeState, type StoredSpec } from '../state/container.js';
import { unitNameFor } from './unit-name.js';
import { AlreadyExistsError, type NetworkSetup, type RuntimeDeps, type SystemdSession } from './deps.js';
import { ContainerStateError, StartError } from './errors.js';
import { payloadFor } from './image-config.js';
import { storedImageOf } from './stored-image.js';
import { cleanStale, cleanStaleRegistrations } from './stale.js';
import { UndoStack } from '../basic/undo.js';
import { isAlive } from './liveness.js';
import { trace } from './trace.js';
import { readRuntime } from '../state/container.js';
import { readFileSync, rmSync } from 'node:fs';
import { chownToRange, reserveIdRange } from './userns.js';
import { unlinkIfPresent } from '../quiet-fs.js';
import { devicePlan } from '../systemd/properties.js';
import { capabilitySet } from '../config/caps.js';
import { procViewFor } from './proc-view.js';

/** The unit this process runs in, from its cgroup path (…/tsmachine@web.service). */
function ownUnit(): string | null {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  const last = line?.slice(3).split('/').pop() ?? '';
  return /\.(service|scope)$/.test(last) ? last : null;
}

export interface StartOptions {
  mode: RuntimeState['mode'];
  stdio: StdioPlan;
  /** The stored spec already exists (restart of a stopped container). */
  existing?: StoredSpec;
  /** run --rm: the container is removed when its payload exits, so its spec need not survive a power cut. */
  ephemeral?: boolean;
  /** A session the caller began to connect earlier (and closes); without one, startContainer opens and closes its own. */
  bus?: Promise<SystemdSession>;
}

export interface Started {
  unit: string;
  initPid: number;
  monitorPid: number;
  addresses: string[];
  /** The network left links, a lease or rules on the host that teardown must remove. */
  networkOnHost: boolean;
}

/**
 * Brings one validated container up, in nspawn's order: payload parked at
 * the barrier → network → scope (+ job wait) → machined → state file →
 * release. Every step registers its undo; any failure unwinds in reverse, so
 * a failed start leaves no scope, machine, veth, lease or state behind.
 * The caller holds the container's lock.
 */
export async function startContainer(deps: RuntimeDeps, spec: ContainerSpec, image: ResolvedImage, opts: StartOptions): Promise<Started> {
  const { name } = spec;
  // In tsmachine@NAME.service the service's own cgroup is the container's (nspawn's --keep-unit).
  const unit = opts.mode === 'service' ? ownUnit() ?? unitNameFor(name) : unitNameFor(name);
  const paths = containerPaths(name);
  const undo = new UndoStack();
  let bus: SystemdSession | undefined;
  // What init reported, if it failed while building its root (see below).
  let initFailure: KernelError | null = null;

  const prior = readRuntime(name);
  if (prior && isAlive(deps.kernel, prior)) throw new ContainerStateError(name, `container ${name} is already running`);

  // The bus connection is I/O: let it proceed while the stages fork and the network is set up.
  const busReady = opts.bus ?? deps.systemd();
  busReady.catch(() => undefined); // awaited (and its error surfaced) below
  try {
    if (prior) {
      // The last run of this name died without us (kill -9, terminate, reboot): clear what it left.
      bus = await busReady;
      await cleanStale(deps, bus, name);
      trace('stale-cleanup');
    }

    // lxcfs's /proc files, looked up before anything is made: --lxcfs yes without it leaves nothing behind.
    const procView = await (deps.procView ?? procViewFor)(spec.lxcfs ?? 'auto');
    trace('proc-view');

    const fresh = createContainerDirs(name);
    if (fresh) undo.push('remove container directory', () => removeContainerDirs(name));
    else undo.push('remove runtime directory', () => rmSync(paths.run, { recursive: true, force: true }));
    unlinkIfPresent(paths.exit);
    // --private-users: a host id range, kept for the container's life (its upper dir holds those ids).
    const userns = opts.existing ? opts.existing.userns : reserveIdRange(name, spec.privateUsers ?? { mode: 'no' });
    if (userns) chownToRange([paths.upper, paths.work], userns);
    trace('dirs');

    const payload = payloadFor(spec, image.config);
    // 1. the payload's init, parked at the barrier: it exists, so it can go into a scope
    const parked: ParkedContainer = deps.kernel.spawnContainer({
      name,
      hostname: spec.hostname,
      rootfs: rootfsPlan(name, image),
      // --device nodes are binds of the host's node into the container's /dev (as runc does under a user namespace, where mknod is refused).
      // lxcfs's files first: a --bind onto the same /proc file is mounted later, so it wins.
      binds: [...procView.binds, ...spec.binds, ...(spec.devices ?? []).map((d) => ({ source: d.source, target: d.target, readonly: false }))],
      argv: payload.argv,
      env: payload.env,
      cwd: payload.cwd,
      ...(payload.user ? { user: payload.user } : {}),
      ...(userns ? { userns } : {}),
      shareHostNetwork: deps.network.sharesHost(spec.network),
      seccomp: spec.seccomp ?? 'default',
      noNewPrivileges: spec.noNewPrivileges ?? false,
      capabilities: capabilitySet(spec.capAdd ?? [], spec.capDrop ?? [], spec.privileged ?? false),
      maskPaths: !spec.privileged,
      ...(spec.shmSize !== undefined ? { shmSize: spec.shmSize } : {}),
      // journald's fallback for a line whose writer is gone before it reads the writer's cgroup
      stdio: opts.stdio.kind === 'journal' ? { ...opts.stdio, unit } : opts.stdio,
      exitFile: paths.exit,
    });
    undo.push('kill parked container', () => {
      // Init builds its root filesystem while systemd is asked: when that
      // failed, systemd's complaint about a vanished PID is not the story.
      initFailure = parked.reportedFailure();
      parked.abort();
    });
    trace('spawn-parked');
    const initStartTime = deps.kernel.processStartTime(parked.initPid);
    if (initStartTime === null) throw new ContainerStateError(name, `container ${name}: init (pid ${parked.initPid}) died before it was released`);

    // 2. network, configured from the host side while nothing runs inside
    const net: NetworkSetup = await deps.network.setup(spec.network, { name, initPid: parked.initPid, hostname: spec.hostname });
    undo.push('tear down network', () => net.undo());
    trace('network');
    writeEtcFiles(paths.upper, { hostname: `${spec.hostname}\n`, hosts: net.hosts, 'resolv.conf': net.resolvConf }, userns ? { uid: userns.base, gid: userns.base } : undefined);
    // The upper dir is complete: init builds the root filesystem while systemd and machined are asked.
    parked.buildRootfs();

    bus ??= await busReady;
    const session = bus;
    trace('bus-connect');
    // A crashed earlier run can leave a scope or machine by this name without
    // any state of ours (it died between creating them and writing state):
    // under our lock that is provably a leftover, so clean it and retry once.
    const retryingStale = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) throw e;
        await cleanStaleRegistrations(session, name);
        return fn();
      }
    };

    // 3. the scope, holding init and its monitor, with the limits and the device policy
    const devices = devicePlan(spec);
    if (opts.mode !== 'service') {
      await retryingStale(() => session.scopes.startScope(unit, {
        description: `tsmachine container ${name}`,
        pids: [parked.initPid, parked.monitorPid],
        limits: spec.limits,
        devices,
      }));
      undo.push(`stop ${unit}`, () => session.scopes.stopUnit(unit));
    } else {
      // tsmachine@NAME.service: the service's cgroup is the container's, so
      // the limits and devices go on it (runtime-only: the next start sets
      // them again). The unit file carries the base device policy.
      if (Object.values(spec.limits).some((v) => v !== undefined)) await session.scopes.updateLimits(unit, spec.limits);
      await session.scopes.setServiceDevices(unit, devices);
    }

    trace('scope');
    // 4. machined
    await retryingStale(() => session.machines.register({
      name, leader: parked.initPid, rootDirectory: paths.rootfs, ifindices: net.hostIfindices, keepUnit: opts.mode === 'service',
    }));
    undo.push(`terminate machine ${name}`, () => session.machines.terminate(name));

    trace('machined');
    // 5. state
    // The image as resolved now is what the container stands on (a spec from before StoredImage gains its layers here).
    if (!opts.existing) {
      writeStoredSpec(name, { spec, created: new Date().toISOString(), ...storedImageOf(image), ...(userns ? { userns } : {}) }, { durable: !opts.ephemeral });
    } else {
      const { image: _previous, ...rest } = opts.existing;
      writeStoredSpec(name, { ...rest, spec, ...storedImageOf(image) });
    }
    const rt: RuntimeState = {
      unit, initPid: parked.initPid, initStartTime, monitorPid: parked.monitorPid,
      startedAt: new Date().toISOString(), addresses: net.addresses, mode: opts.mode, procView: procView.active,
    };
    writeRuntime(name, rt);
    undo.push('remove runtime state', () => removeRuntime(name));

    // 6. release: mounts, pivot_root, exec; throws what the init stage reported
    trace('state');
    parked.release();
    trace('release-mounts-exec');
    undo.commit();
    return { unit, initPid: parked.initPid, monitorPid: parked.monitorPid, addresses: net.addresses, networkOnHost: deps.network.leavesHostState(spec.network) };
  } catch (e) {
    const failures = await undo.unwind();
    const cause = initFailure ?? e;
    throw failures.length > 0 || !(cause instanceof Error) ? new StartError(name, cause, failures) : cause;
  } finally {
    if (!opts.bus) (bus ?? (await busReady.catch(() => null)))?.close();
  }
}
