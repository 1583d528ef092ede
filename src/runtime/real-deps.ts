import { acquireLock, catchesSignal, execInContainer, kill, processStartTime, sdNotify, spawnContainer, waitExit } from '../kernel/index.js';
import { connectSystemBus, connectSystemdPrivate, type SystemBus } from '../systemd/bus.js';
import { SystemdManager } from '../systemd/manager.js';
import { Machined } from '../systemd/machined.js';
import { scopeProperties, serviceDeviceProperties, updateProperties } from '../systemd/properties.js';
import { isBusError, ErrorNames, MachineExistsError, UnitExistsError } from '../systemd/errors.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readTextIfPresent } from '../quiet-fs.js';
import { join } from 'node:path';
import { RUN_DIR } from '../paths.js';
import { resolveOptions } from '../config/settings/resolve.js';
import * as network from '../network/index.js';
import type { ContainerSpec } from '../config/spec.js';
import { findStoreImageById, pinStore, resolveRecordedImage, resolveStoreImage } from '../image/index.js';
import { AlreadyExistsError, type KernelOps, type NetworkOps, type RuntimeDeps, type SystemdSession } from './deps.js';
import { Runtime, type SettingsLoader } from './runtime.js';

/**
 * Properties this systemd refused (OOMPolicy on scopes before v253), kept
 * under /run so each start does not pay a failed StartTransientUnit to learn
 * it again. /run empties at reboot, the only time systemd's version changes
 * under a running system short of daemon-reexec (where a stale entry only
 * means an optional property is not sent).
 */
const UNSUPPORTED_CACHE = join(RUN_DIR, 'systemd-unsupported-properties');
function knownUnsupported(): string[] {
  try { return (readTextIfPresent(UNSUPPORTED_CACHE) ?? '').split('\n').filter(Boolean); } catch { return []; }
}
function rememberUnsupported(props: Set<string>): void {
  try { mkdirSync(RUN_DIR, { recursive: true }); writeFileSync(UNSUPPORTED_CACHE, [...props].join('\n') + '\n'); } catch { /* a cache */ }
}

/**
 * systemd over its private socket (the system bus when that is refused) and
 * machined over the system bus, connected on first need, or as soon as a
 * scope has been asked for: the bus daemon's handshake and our reading of it
 * then happen while systemd makes the scope, not before the scope request
 * goes out, so it is off the start's critical path.
 */
async function systemdSession(): Promise<SystemdSession> {
  let systemBus: Promise<SystemBus> | null = null;
  const connectMachined = (): Promise<SystemBus> => {
    if (!systemBus) {
      systemBus = connectSystemBus();
      systemBus.catch(() => undefined); // surfaced by the first call that needs it
    }
    return systemBus;
  };
  const bus = await connectSystemdPrivate().catch(() => connectMachined());
  const manager = new SystemdManager(bus);
  for (const p of knownUnsupported()) manager.unsupportedProperties.add(p);
  let machinedReady: Promise<Machined> | null = null;
  const machined = (): Promise<Machined> => (machinedReady ??= connectMachined().then((b) => new Machined(b)));
  return {
    scopes: {
      startScope: async (unit, i) => {
        const known = manager.unsupportedProperties.size;
        try {
          const started = manager.startTransientScope(unit, scopeProperties(i)); // the request is on the wire now
          connectMachined(); // machined is next
          await started;
        } catch (e) {
          if (e instanceof UnitExistsError) throw new AlreadyExistsError('unit', unit, { cause: e });
          throw e;
        } finally {
          if (manager.unsupportedProperties.size !== known) rememberUnsupported(manager.unsupportedProperties);
        }
      },
      stopUnit: (unit) => manager.stopUnit(unit),
      killUnit: (unit, who, signal) => manager.killUnit(unit, who, signal),
      resetFailedUnit: (unit) => manager.resetFailedUnit(unit).catch((e: unknown) => {
        if (!isBusError(e, ErrorNames.NoSuchUnit)) throw e;
      }),
      unitState: async (unit) => {
        const u = await manager.getUnit(unit);
        return u ? { activeState: u.activeState, controlGroup: u.controlGroup } : null;
      },
      // runtime=true: a transient unit's drop-in under /run, which daemon-reload re-reads.
      updateLimits: (unit, limits) => manager.setUnitProperties(unit, true, updateProperties(limits)),
      setServiceDevices: async (unit, devices) => {
        const props = serviceDeviceProperties(devices);
        if (props.length > 0) await manager.setUnitProperties(unit, true, props);
      },
      attachProcesses: (unit, pids) => manager.attachProcessesToUnit(unit, '', pids),
    },
    machines: {
      register: async (m) => {
        try {
          await (await machined()).registerMachineWithNetwork({
            name: m.name, service: 'tsmachine', class: 'container', leader: m.leader, rootDirectory: m.rootDirectory, ifindices: m.ifindices,
          });
        } catch (e) {
          if (e instanceof MachineExistsError) throw new AlreadyExistsError('machine', m.name, { cause: e });
          throw e;
        }
      },
      terminate: async (name) => { await (await machined()).terminateMachine(name); },
      get: async (name) => {
        const m = await (await machined()).getMachine(name);
        return m ? { leader: m.leader, unit: m.unit } : null;
      },
    },
    close: async () => {
      await Promise.all([bus.close(), systemBus?.then((b) => (b === bus ? undefined : b.close()), () => undefined)]);
    },
  };
}

const kernel: KernelOps = {
  spawnContainer, execInContainer, waitExit,
  kill: (pid, sig) => { kill(pid, sig); },
  processStartTime,
  catchesSignal,
  acquireLock: (path) => acquireLock(path, { wait: 'block' }),
  notify: (state) => { sdNotify(state); },
};

/** The spec's network options (as typed) as the network module's plan. */
const planOf = (n: ContainerSpec['network']): network.NetworkPlan =>
  network.parseNetworkOptions({ network: n.mode, ...(n.ip ? { ip: n.ip } : {}), publish: n.publish, dns: n.dns });

const networkOps: NetworkOps = {
  validate: (n) => {
    const plan = planOf(n);
    if (plan.publish.some((p) => p.hostIp !== null)) network.checkHostAddressesLocal(plan.publish, network.localIpv4Addresses());
  },
  sharesHost: (n) => n.mode === 'host',
  leavesHostState: (n) => n.mode !== 'host' && n.mode !== 'none',
  setup: (n, c) => network.setupNetwork(planOf(n), c),
  teardown: (name) => network.teardownNetwork(name),
};

/** /etc/tsmachine/NAME.tsmachine under the flags: flags win, the file fills in. */
const settings: SettingsLoader = (name, flags) => resolveOptions(name, flags);

export function createRealDeps(): RuntimeDeps {
  return { systemd: systemdSession, kernel, network: networkOps };
}

export function createRuntime(warn: (line: string) => void): Runtime {
  return new Runtime(createRealDeps(), {
    settings,
    warn,
    store: (name) => resolveStoreImage(name),
    recorded: { byLayers: (ref) => resolveRecordedImage(ref), byId: (id) => findStoreImageById(id) },
    pinStore: () => pinStore(),
  });
}
