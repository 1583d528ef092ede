import type { SystemBus } from './bus.js';
import type { Message } from './dbus/message.js';
import type { Subscription } from './dbus/connection.js';
import { asString, asVariant, type DBusValue } from './dbus/values.js';
import { BusError, ErrorNames, isBusError, SystemdJobError, SystemdTimeoutError, UnitExistsError } from './errors.js';
import type { UnitProperty } from './properties.js';

const DEST = 'org.freedesktop.systemd1';
const PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Properties we may drop when the running systemd does not know them (it
 * answers PropertyReadOnly "Cannot set property X, or unknown property.").
 * Only nice-to-haves: a limit the user asked for is never dropped silently.
 * OOMPolicy= exists for scopes since systemd 253; Debian 12 has 252.
 */
const OPTIONAL_PROPERTIES = new Set(['OOMPolicy']);

export interface UnitStatus {
  /** The unit's object path. */
  path: string;
  activeState: string;
  subState: string;
  /** cgroup path below the cgroup root, '' when the unit has none (yet). */
  controlGroup: string;
  /** Scope/service result ("success", "oom-kill", "timeout", ...). */
  result?: string;
}

export interface ManagerOptions {
  /** Limit for every call and every job wait (ms). */
  timeoutMs?: number;
}

export type KillWhom = 'all' | 'main' | 'control';

/** org.freedesktop.systemd1.Manager, as tsmachine uses it. */
export class SystemdManager {
  private readonly timeoutMs: number;
  private readonly jobs: JobWatch;
  private match: Promise<Subscription> | null = null;
  /** Optional properties this systemd rejected; not sent again. */
  readonly unsupportedProperties = new Set<string>();

  constructor(
    private readonly bus: SystemBus,
    opts: ManagerOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // A job's timeout runs on the bus connection's clock (no Node timers: see BusConnection.after).
    this.jobs = new JobWatch((ms, fire) => bus.after(ms, fire));
    bus.onClose((err) => this.jobs.failAll(err));
  }

  /** Manager.Subscribe: without a subscriber systemd does not emit JobRemoved. */
  async subscribe(): Promise<void> {
    try {
      await this.callManager('Subscribe');
    } catch (err) {
      if (!isBusError(err, ErrorNames.AlreadySubscribed)) throw err;
    }
  }

  /**
   * Create a transient scope holding already-running processes and wait
   * until systemd has started it. The JobRemoved match is in place before
   * the call, and signals that overtake the reply are buffered, so the
   * job's result cannot be missed. Any result but "done" throws
   * SystemdJobError (the processes would otherwise sit in the wrong cgroup).
   */
  async startTransientScope(unit: string, props: UnitProperty[], opts: { timeoutMs?: number } = {}): Promise<void> {
    const watching = this.watchJobs();
    watching.catch(() => {}); // awaited below, once the request is written
    const end = this.jobs.begin();
    try {
      let job = '';
      for (;;) {
        const send = props.filter(([name]) => !this.unsupportedProperties.has(name));
        try {
          const [path] = await this.callManager('StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'fail', send, []], unit);
          job = asString(path, 'StartTransientUnit job');
          break;
        } catch (err) {
          if (isBusError(err, ErrorNames.UnitExists)) throw new UnitExistsError(unit, err);
          const dropped = rejectedOptionalProperty(err, send);
          if (dropped === null) throw err;
          this.unsupportedProperties.add(dropped);
        }
      }
      await watching;
      const result = await this.jobs.wait(job, unit, 'start', opts.timeoutMs ?? this.timeoutMs);
      if (result !== 'done') throw new SystemdJobError(unit, job, result, 'start');
    } finally {
      end();
    }
  }

  /** Stop a unit and wait for the job; a unit that does not exist is already stopped. */
  async stopUnit(unit: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const watching = this.watchJobs();
    watching.catch(() => {}); // awaited below, once the request is written
    const end = this.jobs.begin();
    try {
      let job: string;
      try {
        job = asString((await this.callManager('StopUnit', 'ss', [unit, 'replace'], unit))[0], 'StopUnit job');
      } catch (err) {
        if (isBusError(err, ErrorNames.NoSuchUnit)) return;
        throw err;
      }
      await watching;
      const result = await this.jobs.wait(job, unit, 'stop', opts.timeoutMs ?? this.timeoutMs);
      if (result !== 'done') throw new SystemdJobError(unit, job, result, 'stop');
    } finally {
      end();
    }
  }

  /** Send a signal to the unit's processes ('all') or its main process. */
  async killUnit(unit: string, whom: KillWhom, signal: number | NodeJS.Signals): Promise<void> {
    const signo = typeof signal === 'number' ? signal : (await import('node:os')).constants.signals[signal];
    await this.callManager('KillUnit', 'ssi', [unit, whom, signo], unit);
  }

  /** Forget a failed unit's state so its name can be reused; absent is fine. */
  async resetFailedUnit(unit: string): Promise<void> {
    try {
      await this.callManager('ResetFailedUnit', 's', [unit], unit);
    } catch (err) {
      if (!isBusError(err, ErrorNames.NoSuchUnit)) throw err;
    }
  }

  /** Change properties (limits) of a live unit; runtime=true does not persist them. */
  async setUnitProperties(unit: string, runtime: boolean, props: UnitProperty[]): Promise<void> {
    await this.callManager('SetUnitProperties', 'sba(sv)', [unit, runtime, props], unit);
  }

  /**
   * Freeze or thaw every process of the unit (cgroup v2's freezer, through
   * systemd since v246): the unit's FreezerState says frozen only once all
   * of them stopped, and systemd answers when it is.
   */
  async freezeUnit(unit: string): Promise<void> {
    await this.callManager('FreezeUnit', 's', [unit], unit);
  }

  async thawUnit(unit: string): Promise<void> {
    await this.callManager('ThawUnit', 's', [unit], unit);
  }

  /** Move processes into a (delegated) unit's sub-cgroup, e.g. "/payload". */
  async attachProcessesToUnit(unit: string, subcgroup: string, pids: number[]): Promise<void> {
    await this.callManager('AttachProcessesToUnit', 'ssau', [unit, subcgroup, pids], unit);
  }

  /** The unit's state, or null when systemd has no such unit loaded. */
  async getUnit(unit: string): Promise<UnitStatus | null> {
    let path: string;
    try {
      path = asString((await this.callManager('GetUnit', 's', [unit], unit))[0], 'GetUnit path');
    } catch (err) {
      if (isBusError(err, ErrorNames.NoSuchUnit)) return null;
      throw err;
    }
    const typeIface = unitTypeInterface(unit);
    try {
      const [activeState, subState, controlGroup, result] = await Promise.all([
        this.getProperty(path, UNIT, 'ActiveState', unit),
        this.getProperty(path, UNIT, 'SubState', unit),
        typeIface ? this.getProperty(path, typeIface, 'ControlGroup', unit) : Promise.resolve(''),
        typeIface && typeIface !== 'org.freedesktop.systemd1.Slice' ? this.getProperty(path, typeIface, 'Result', unit) : Promise.resolve(undefined),
      ]);
      const status: UnitStatus = {
        path,
        activeState: asString(activeState, 'ActiveState'),
        subState: asString(subState, 'SubState'),
        controlGroup: asString(controlGroup, 'ControlGroup'),
      };
      if (result !== undefined) status.result = asString(result, 'Result');
      return status;
    } catch (err) {
      // The unit was garbage-collected between GetUnit and the reads.
      if (isBusError(err, ErrorNames.UnknownObject) || isBusError(err, ErrorNames.NoSuchUnit)) return null;
      throw err;
    }
  }

  /** The unit a process belongs to, or null. */
  async getUnitByPID(pid: number): Promise<string | null> {
    try {
      const path = asString((await this.callManager('GetUnitByPID', 'u', [pid], `pid ${pid}`))[0], 'GetUnitByPID path');
      return asString(await this.getProperty(path, UNIT, 'Id'), 'Id');
    } catch (err) {
      if (isBusError(err, ErrorNames.NoUnitForPID) || isBusError(err, ErrorNames.UnknownObject)) return null;
      throw err;
    }
  }

  /** Drop our JobRemoved match (the bus connection stays open). */
  async dispose(): Promise<void> {
    const m = this.match;
    this.match = null;
    if (m) await (await m).remove();
  }

  // ---------------------------------------------------------------------

  private callManager(member: string, signature?: string, body?: DBusValue[], object?: string): Promise<DBusValue[]> {
    return this.bus.call({ destination: DEST, path: PATH, interface: MANAGER, member, signature, body, object, timeoutMs: this.timeoutMs });
  }

  private async getProperty(path: string, iface: string, name: string, object?: string): Promise<DBusValue> {
    const [v] = await this.bus.call({ destination: DEST, path, interface: PROPERTIES, member: 'Get', signature: 'ss', body: [iface, name], object, timeoutMs: this.timeoutMs });
    return asVariant(v, `${iface}.${name}`).value;
  }

  /**
   * AddMatch for JobRemoved + Subscribe, once per manager. Both are written
   * at once and the caller writes its job request right behind them without
   * waiting: the bus handles one connection's messages in order, so the
   * match and the subscription are in place before systemd sees the request
   * (and JobWatch keeps a signal that overtakes the reply). Two round trips
   * saved on every start and stop.
   */
  private watchJobs(): Promise<Subscription> {
    if (!this.match) {
      const sub = this.bus.addMatch({ sender: DEST, path: PATH, interface: MANAGER, member: 'JobRemoved' }, (s) => this.jobs.onSignal(s));
      // systemd sends every signal to a connection on its private socket, unasked.
      const subscribed = this.bus.peer ? Promise.resolve() : this.subscribe();
      const m = Promise.all([sub, subscribed]).then(([s]) => s);
      // Each is awaited through m; a failure of one must not also surface unhandled.
      sub.catch(() => {});
      subscribed.catch(() => {});
      m.catch(() => {
        if (this.match === m) this.match = null; // let the next call retry
      });
      this.match = m;
    }
    return this.match;
  }
}

/** JobRemoved(u id, o job, s unit, s result), matched to the job path a call returned. */
class JobWatch {
  private readonly early = new Map<string, string>();
  private readonly waiters = new Map<string, (result: string) => void>();
  private readonly failers = new Set<(err: Error) => void>();
  private active = 0;

  constructor(private readonly after: (ms: number, fire: () => void) => () => void) {}

  /** Mark an operation in flight: while any is, unclaimed results are kept. */
  begin(): () => void {
    this.active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.active === 0) this.early.clear();
    };
  }

  onSignal(m: Message): void {
    const [, job, , result] = m.body;
    if (typeof job !== 'string' || typeof result !== 'string') return;
    const waiter = this.waiters.get(job);
    if (waiter) return waiter(result);
    if (this.active === 0) return;
    // JobRemoved is system-wide; keep only a bounded window of others' jobs.
    if (this.early.size >= 1024) this.early.delete(this.early.keys().next().value as string);
    this.early.set(job, result);
  }

  wait(job: string, unit: string, verb: string, timeoutMs: number): Promise<string> {
    const early = this.early.get(job);
    if (early !== undefined) {
      this.early.delete(job);
      return Promise.resolve(early);
    }
    return new Promise<string>((resolve, reject) => {
      const finish = (): void => {
        cancelTimeout();
        this.waiters.delete(job);
        this.failers.delete(onFail);
      };
      const onFail = (err: Error): void => {
        finish();
        reject(err);
      };
      const cancelTimeout = this.after(timeoutMs, () => onFail(new SystemdTimeoutError(unit, `${verb} job ${job}`, timeoutMs)));
      this.waiters.set(job, (result) => {
        finish();
        resolve(result);
      });
      this.failers.add(onFail);
    });
  }

  failAll(err: Error): void {
    for (const f of [...this.failers]) f(err);
  }
}

/** systemd answers an unknown property with PropertyReadOnly naming it. */
function rejectedOptionalProperty(err: unknown, sent: UnitProperty[]): string | null {
  if (!(err instanceof BusError) || err.errorName !== ErrorNames.PropertyReadOnly) return null;
  const m = /Cannot set property (\S+?),/.exec(err.detail);
  const name = m?.[1];
  if (!name || !OPTIONAL_PROPERTIES.has(name) || !sent.some(([n]) => n === name)) return null;
  return name;
}

/** The type-specific interface that carries ControlGroup/Result. */
function unitTypeInterface(unit: string): string | undefined {
  const suffix = unit.slice(unit.lastIndexOf('.') + 1);
  switch (suffix) {
    case 'scope':
      return 'org.freedesktop.systemd1.Scope';
    case 'service':
      return 'org.freedesktop.systemd1.Service';
    case 'slice':
      return 'org.freedesktop.systemd1.Slice';
    default:
      return undefined;
  }
}
