import type { Limits } from '../config/limits.js';
import { readRuntime, readStoredSpec, writeStoredSpec } from '../state/container.js';
import type { RuntimeDeps } from './deps.js';
import { ContainerStateError } from './errors.js';
import { isAlive } from './liveness.js';

/**
 * Live limit changes go through SetUnitProperties, never cgroupfs, so they
 * survive `systemctl daemon-reload`; the stored spec keeps them for the next
 * start. A stopped container just gets the new spec.
 */
export async function updateContainer(deps: RuntimeDeps, name: string, limits: Limits): Promise<void> {
  const stored = readStoredSpec(name);
  if (!stored) throw new ContainerStateError(name, `no container named ${name}`);
  const rt = readRuntime(name);
  if (rt && isAlive(deps.kernel, rt)) {
    const bus = await deps.systemd();
    try {
      await bus.scopes.updateLimits(rt.unit, limits);
    } finally {
      bus.close();
    }
  }
  writeStoredSpec(name, { ...stored, spec: { ...stored.spec, limits: { ...stored.spec.limits, ...limits } } });
}
