import { TsmError } from '../errors.js';
import { BusError } from './dbus/errors.js';

export { BusError, DBusConnectionError, DBusProtocolError, DBusTimeoutError } from './dbus/errors.js';

/** D-Bus error names tsmachine branches on (systemd's bus-common-errors.h). */
export const ErrorNames = {
  UnitExists: 'org.freedesktop.systemd1.UnitExists',
  NoSuchUnit: 'org.freedesktop.systemd1.NoSuchUnit',
  NoUnitForPID: 'org.freedesktop.systemd1.NoUnitForPID',
  AlreadySubscribed: 'org.freedesktop.systemd1.AlreadySubscribed',
  NoSuchMachine: 'org.freedesktop.machine1.NoSuchMachine',
  MachineExists: 'org.freedesktop.machine1.MachineExists',
  PropertyReadOnly: 'org.freedesktop.DBus.Error.PropertyReadOnly',
  UnknownObject: 'org.freedesktop.DBus.Error.UnknownObject',
  UnknownProperty: 'org.freedesktop.DBus.Error.UnknownProperty',
  UnknownInterface: 'org.freedesktop.DBus.Error.UnknownInterface',
} as const;

export function isBusError(err: unknown, name: string): err is BusError {
  return err instanceof BusError && err.errorName === name;
}

/**
 * A unit of that name is already loaded, typically a scope left by a crashed
 * run. Distinct so the runtime can reset/stop the stale one and retry once.
 */
export class UnitExistsError extends BusError {
  readonly unit: string;
  constructor(unit: string, cause: BusError) {
    super(cause.errorName, cause.detail, cause, { cause });
    this.unit = unit;
  }
}

/** machined already has a machine of that name. */
export class MachineExistsError extends BusError {
  readonly machine: string;
  constructor(machine: string, cause: BusError) {
    super(cause.errorName, cause.detail, cause, { cause });
    this.machine = machine;
  }
}

/** A systemd job (start/stop) ended with a result other than "done". */
export class SystemdJobError extends TsmError {
  readonly module = 'systemd';
  readonly unit: string;
  readonly job: string;
  /** "failed", "timeout", "canceled", "dependency", "skipped", ... */
  readonly result: string;
  constructor(unit: string, job: string, result: string, verb: string) {
    super(`${verb} of ${unit} ended with result '${result}' (job ${job}); see journalctl -u ${unit}`);
    this.unit = unit;
    this.job = job;
    this.result = result;
  }
}

/** Waiting for systemd (a job, a state) took longer than allowed. */
export class SystemdTimeoutError extends TsmError {
  readonly module = 'systemd';
  readonly unit: string;
  readonly timeoutMs: number;
  constructor(unit: string, what: string, timeoutMs: number) {
    super(`${what} of ${unit} did not finish within ${timeoutMs} ms`);
    this.unit = unit;
    this.timeoutMs = timeoutMs;
  }
}

/** A value that cannot become a unit property or unit name. */
export class UnitPropertyError extends TsmError {
  readonly module = 'systemd';
  readonly property: string;
  constructor(property: string, message: string) {
    super(`${property}: ${message}`);
    this.property = property;
  }
}
