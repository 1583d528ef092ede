import { TsmError } from '../../errors.js';

/** The facts that identify a method call, carried by every call failure. */
export interface CallTarget {
  destination?: string;
  path?: string;
  interface?: string;
  member?: string;
  /** What the call is about (a unit, a machine), for messages and handlers. */
  object?: string;
}

/**
 * The peer answered a method call with an error reply. `errorName` is the
 * D-Bus error name (e.g. org.freedesktop.systemd1.UnitExists) so callers can
 * branch on it; the call target says which call it was.
 */
export class BusError extends TsmError {
  readonly module = 'systemd';
  readonly errorName: string;
  readonly destination: string | undefined;
  readonly path: string | undefined;
  readonly interface: string | undefined;
  readonly member: string | undefined;
  readonly object: string | undefined;
  /** The peer's own text (first string argument of the error reply). */
  readonly detail: string;

  constructor(errorName: string, detail: string, target: CallTarget, options?: { cause?: unknown }) {
    super(`${describeTarget(target)}: ${errorName}${detail ? `: ${detail}` : ''}`, options);
    this.errorName = errorName;
    this.detail = detail;
    this.destination = target.destination;
    this.path = target.path;
    this.interface = target.interface;
    this.member = target.member;
    this.object = target.object;
  }
}

/** Bytes that are not valid D-Bus (from the peer, or values we were asked to send). */
export class DBusProtocolError extends TsmError {
  readonly module = 'systemd';
}

/** Could not reach, authenticate to, or stay connected to the bus. */
export class DBusConnectionError extends TsmError {
  readonly module = 'systemd';
  readonly address: string;
  constructor(message: string, address: string, options?: { cause?: unknown }) {
    super(`${message} (bus ${address})`, options);
    this.address = address;
  }
}

/** A method call got no reply in time. */
export class DBusTimeoutError extends TsmError {
  readonly module = 'systemd';
  readonly timeoutMs: number;
  readonly destination: string | undefined;
  readonly path: string | undefined;
  readonly interface: string | undefined;
  readonly member: string | undefined;
  readonly object: string | undefined;
  constructor(target: CallTarget, timeoutMs: number) {
    super(`${describeTarget(target)}: no reply within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
    this.destination = target.destination;
    this.path = target.path;
    this.interface = target.interface;
    this.member = target.member;
    this.object = target.object;
  }
}

export function describeTarget(t: CallTarget): string {
  const method = [t.interface, t.member].filter(Boolean).join('.') || '(call)';
  const about = t.object !== undefined ? ` for ${t.object}` : '';
  return `${method}${about} (${t.path ?? '?'} at ${t.destination ?? 'no destination'})`;
}
