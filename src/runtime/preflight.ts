import { existsSync } from 'node:fs';
import { TsmError } from '../errors.js';

export class HostError extends TsmError {
  readonly module = 'host';
}

/** Containers need root (namespaces, mounts, the system bus's privileged calls). */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new HostError('must run as root');
}

/** sd_booted(): systemd is PID 1 exactly when /run/systemd/system exists. */
export function requireSystemd(): void {
  if (!existsSync('/run/systemd/system')) throw new HostError('systemd is not running as PID 1 (no /run/systemd/system); tsmachine needs a systemd host');
}
