import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { containerPaths, readRuntime, removeRuntime } from '../state/container.js';
import type { RuntimeDeps, SystemdSession } from './deps.js';
import { ContainerStateError } from './errors.js';
import { isAlive } from './liveness.js';
import { unitNameFor } from './unit-name.js';

/**
 * Clears what a dead container left behind: a crashed CLI (scope without
 * state), `kill -9` of the payload, `machinectl terminate`, a reboot. Called
 * under the container's lock when our records say it is not running, so a
 * scope or machine by its name is provably a leftover, not a live container.
 * This is what turns "Unit ... already exists" / "Machine ... already exists"
 * into a clean restart instead of a mysterious D-Bus error.
 */
export async function cleanStale(deps: RuntimeDeps, bus: SystemdSession, name: string): Promise<void> {
  const rt = readRuntime(name);
  if (rt && isAlive(deps.kernel, rt)) return;
  await cleanStaleRegistrations(bus, name, rt?.unit);
  await deps.network.teardown(name);
  recordExit(name, null);
  removeRuntime(name);
}

/** The systemd half of cleanStale: a machine and a scope by this name that nothing of ours runs in. */
export async function cleanStaleRegistrations(bus: SystemdSession, name: string, recordedUnit?: string): Promise<void> {
  const unit = unitNameFor(name);
  const machine = await bus.machines.get(name);
  if (machine) {
    const ours = machine.unit === unit || machine.unit === recordedUnit;
    if (!ours) throw new ContainerStateError(name, `a machine named ${name} is already registered with machined by ${machine.unit || 'another program'}; pick another name`);
    await bus.machines.terminate(name);
  }
  const state = await bus.scopes.unitState(unit);
  if (state) {
    if (state.activeState !== 'inactive') await bus.scopes.stopUnit(unit);
    await bus.scopes.resetFailedUnit(unit).catch(() => undefined);
  }
}

/**
 * Keeps the payload's last exit status in the persistent dir (the monitor
 * writes it under /run, which a reboot clears). `fallback` is used when the
 * monitor could not write it (it was SIGKILLed with the scope).
 */
export function recordExit(name: string, fallback: number | null): void {
  const p = containerPaths(name);
  if (!existsSync(p.dir)) return;
  if (existsSync(p.exit)) copyFileSync(p.exit, p.lastExit);
  else if (fallback !== null) writeFileSync(p.lastExit, `${fallback}\n`);
}
