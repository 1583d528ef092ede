import { readRuntime, readStoredSpec } from '../state/container.js';
import { removeContainerDirs } from './container-dirs.js';
import type { RuntimeDeps } from './deps.js';
import { ContainerStateError } from './errors.js';
import { isAlive } from './liveness.js';
import { stopContainer } from './stop.js';

/** Removes a container: its spec, upper dir (its writes) and every runtime trace. */
export async function removeContainer(deps: RuntimeDeps, name: string, force: boolean): Promise<void> {
  if (!readStoredSpec(name)) throw new ContainerStateError(name, `no container named ${name}`);
  if (isAlive(deps.kernel, readRuntime(name))) {
    if (!force) throw new ContainerStateError(name, `container ${name} is running: stop it first, or use --force`);
  }
  // Also clears leftovers (scope, machine, veth, lease) of a container killed behind our back.
  await stopContainer(deps, name, 0);
  removeContainerDirs(name);
}
