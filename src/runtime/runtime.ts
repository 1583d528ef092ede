import { mkdirSync } from 'node:fs';
import type { Limits } from '../config/limits.js';
import type { ContainerOptions } from '../config/options.js';
import type { OptionLabels } from '../config/spec.js';
import type { ResolvedImage, StoreLookup } from '../image/index.js';
import type { StdioPlan } from '../kernel/types.js';
import { containerPaths, locksDir, readStoredSpec, removeRuntime, type StoredSpec } from '../state/container.js';
import { removeContainerDirs } from './container-dirs.js';
import type { RuntimeDeps, SystemdSession } from './deps.js';
import { ContainerStateError } from './errors.js';
import { execInContainer, stdioPlanFor, type ExecCommand, type ExecIo, type PayloadIo } from './exec.js';
import { containerStatus, listContainers, type ContainerStatus } from './inspect.js';
import { prepareContainer } from './prepare.js';
import { removeContainer } from './remove.js';
import { recordExit } from './stale.js';
import { startContainer, type Started } from './start.js';
import { trace } from './trace.js';
import { imageOfStored, type RecordedImageLookup } from './stored-image.js';
import { killContainer, stopContainer } from './stop.js';
import { updateContainer } from './update.js';
import { requireRoot, requireSystemd } from './preflight.js';

/** How `start` runs the payload: as tsmachine@NAME.service's main process, with given stdio, or for one run only (--rm). */
export type StartHow = { keepUnit?: boolean; stdio?: StdioPlan; ephemeral?: boolean };

/** Loads settings for a name: options from /etc/tsmachine/NAME.tsmachine and how to name them in errors. */
export type SettingsLoader = (name: string, flags: ContainerOptions) => { options: ContainerOptions; labels: OptionLabels; warnings: string[] };

/**
 * The runtime core's face to the CLI: one method per verb, each taking a
 * container name and plain values. It owns locking and ordering; the CLI
 * owns parsing, printing and exit codes.
 */
export class Runtime {
  constructor(
    private readonly deps: RuntimeDeps,
    private readonly opts: {
      store?: StoreLookup;
      /** Images of existing containers by their recorded id and layers (see stored-image.ts). */
      recorded?: RecordedImageLookup;
      /**
       * Holds off `image prune` while a new container is made: its layers are
       * only protected once its spec is written, and prune must not take them
       * between the image lookup and that write.
       */
      pinStore?: () => Promise<{ release(): void }>;
      settings?: SettingsLoader;
      warn?: (line: string) => void;
    } = {},
  ) {}

  stored(name: string): StoredSpec | null {
    return readStoredSpec(name);
  }

  private withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    mkdirSync(locksDir(), { recursive: true });
    const lock = this.deps.kernel.acquireLock(containerPaths(name).lock);
    return fn().finally(() => lock.release());
  }

  private prepare(name: string, flags: ContainerOptions, how: StartHow) {
    let options = flags, labels: OptionLabels = {};
    if (this.opts.settings) {
      const s = this.opts.settings(name, flags);
      options = s.options;
      labels = s.labels;
      for (const w of s.warnings) this.opts.warn?.(w);
    }
    // A container created by tsmachine@NAME.service gets a user namespace,
    // as nspawn@.service's -U; the settings file's PrivateUsers=no says otherwise.
    if (how.keepUnit && options.privateUsers === undefined) options = { ...options, privateUsers: 'pick' };
    return prepareContainer(name, options, this.deps.network, this.opts.store, labels);
  }

  /** `start`: create from options, or (options null) start the stored container again. */
  async start(name: string, options: ContainerOptions | null, how: StartHow = {}): Promise<Started> {
    requireRoot();
    // The bus handshake goes out now and is answered while the container is
    // prepared and its stages fork (the bus socket connects and writes at
    // once). This method opened the session, so this method closes it,
    // whether or not the start got as far as using it.
    const bus = this.deps.systemd();
    bus.catch(() => undefined); // surfaced where it is awaited
    trace('bus-open');
    const pin = options ? await this.opts.pinStore?.() : undefined;
    try {
      return await this.startPinned(name, options, how, bus);
    } finally {
      pin?.release();
      void bus.then((s) => s.close(), () => undefined);
    }
  }

  private async startPinned(name: string, options: ContainerOptions | null, how: StartHow, bus: Promise<SystemdSession>): Promise<Started> {
    const prepared = options ? this.prepare(name, options, how) : null;
    trace('prepared');
    requireSystemd();
    return this.withLock(name, async () => {
      const existing = readStoredSpec(name);
      let spec, image: ResolvedImage;
      if (existing) {
        if (prepared) throw new ContainerStateError(name, `container ${name} already exists`);
        spec = existing.spec;
        image = imageOfStored(existing, this.opts.store, this.opts.recorded);
      } else {
        if (!prepared) throw new ContainerStateError(name, `no container named ${name}`);
        ({ spec, image } = prepared);
      }
      const started = await startContainer(this.deps, spec, image, {
        bus,
        mode: how.keepUnit ? 'service' : how.stdio && how.stdio.kind !== 'journal' ? 'foreground' : 'detached',
        stdio: how.stdio ?? { kind: 'journal', identifier: name },
        ...(existing ? { existing } : {}),
        ...(how.ephemeral ? { ephemeral: true } : {}),
      });
      // Type=notify service: the payload becomes the main process, and this CLI may exit.
      if (how.keepUnit) this.deps.kernel.notify(`MAINPID=${started.initPid}\nREADY=1\nSTATUS=container ${name} running`);
      return started;
    });
  }

  /**
   * `run`: a new container in the foreground. Returns the payload's exit
   * status; signals the CLI receives are passed to the payload. stdio as
   * docker's -i/-t (PayloadIo); with -t the terminal session ends here too.
   */
  async run(
    name: string, options: ContainerOptions,
    how: PayloadIo & { remove: boolean; relaySignals: (to: (sig: number) => void) => () => void },
  ): Promise<number> {
    requireRoot();
    if (readStoredSpec(name)) throw new ContainerStateError(name, `container ${name} already exists (rm it, or use start)`);
    const stdio = stdioPlanFor(how);
    // Signals are caught from the start: one that arrives while the container
    // is being set up is delivered as soon as the payload runs, not lost (and
    // it must not kill this CLI, which would orphan the container's cleanup).
    let initPid = 0;
    const pending: number[] = [];
    const deliver = (sig: number): void => { try { this.deps.kernel.kill(initPid, sig); } catch { /* gone */ } };
    const stopRelay = how.relaySignals((sig) => (initPid ? deliver(sig) : pending.push(sig)));
    let status: number;
    let started: Started;
    try {
      try {
        started = await this.start(name, options, { stdio: stdio.plan, ephemeral: how.remove });
      } finally {
        stdio.forked();
      }
      initPid = started.initPid;
      for (const sig of pending.splice(0)) deliver(sig);
      status = await this.deps.kernel.waitExit(started.monitorPid);
      trace('payload-exited');
    } finally {
      stopRelay();
      await how.tty?.finish();
    }
    // The payload and the monitor have exited, so the scope is empty and
    // systemd collects it, and machined drops the machine with it: nothing
    // to ask the bus (a straggler shows up as "already exists" at the next
    // start of the name and is cleaned there). What is ours to undo is the
    // network's lease and rules (if it has any), the runtime state, and with --rm the rest.
    await this.withLock(name, async () => {
      trace('cleanup-lock');
      if (started.networkOnHost) {
        await this.deps.network.teardown(name);
        trace('network-teardown');
      }
      if (!how.remove) recordExit(name, null);
      removeRuntime(name);
      if (how.remove) removeContainerDirs(name);
      trace('state-removed');
    });
    return status;
  }

  async stop(name: string, timeoutS: number): Promise<boolean> {
    requireRoot();
    this.mustExist(name);
    requireSystemd();
    return this.withLock(name, () => stopContainer(this.deps, name, timeoutS));
  }

  async restart(name: string, timeoutS: number): Promise<Started> {
    await this.stop(name, timeoutS);
    return this.start(name, null);
  }

  kill(name: string, signal: number): void {
    requireRoot();
    this.mustExist(name);
    if (!killContainer(this.deps, name, signal)) throw new ContainerStateError(name, `container ${name} is not running`);
  }

  async rm(name: string, force: boolean): Promise<void> {
    requireRoot();
    this.mustExist(name);
    requireSystemd();
    return this.withLock(name, () => removeContainer(this.deps, name, force));
  }

  async exec(name: string, command: ExecCommand, io?: ExecIo): Promise<number> {
    requireRoot();
    const stored = this.mustExist(name);
    let image: ResolvedImage | null = null;
    try { image = imageOfStored(stored, this.opts.store, this.opts.recorded); } catch { /* image gone since: run with the stored env */ }
    return execInContainer(this.deps, name, command, image, io);
  }

  async update(name: string, limits: Limits): Promise<void> {
    requireRoot();
    this.mustExist(name);
    return this.withLock(name, () => updateContainer(this.deps, name, limits));
  }

  status(name: string): ContainerStatus {
    const s = containerStatus(this.deps.kernel, name, { probeProcView: true });
    if (!s) throw new ContainerStateError(name, `no container named ${name}`);
    return s;
  }

  list(all: boolean): ContainerStatus[] {
    return listContainers(this.deps.kernel, all);
  }

  private mustExist(name: string): StoredSpec {
    const s = readStoredSpec(name);
    if (!s) throw new ContainerStateError(name, `no container named ${name}`);
    return s;
  }
}
