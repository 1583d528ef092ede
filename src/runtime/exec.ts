import { readRuntime, readStoredSpec } from '../state/container.js';
import type { ResolvedImage } from '../image/types.js';
import type { RuntimeDeps } from './deps.js';
import { ContainerStateError } from './errors.js';
import { isAlive } from './liveness.js';
import { mergeEnv, payloadFor } from './image-config.js';

/**
 * Runs a command inside a running container: the native stage joins all of
 * its namespaces, and the process is moved into the container's scope with
 * AttachProcessesToUnit before it runs, so limits and accounting apply and
 * `systemd-cgls` shows it there. Needs nothing inside the container (unlike
 * `machinectl shell`, which needs systemd and D-Bus in the guest).
 */
export async function execInContainer(
  deps: RuntimeDeps, name: string, argv: string[], extraEnv: string[], image: ResolvedImage | null,
  onStarted?: (pid: number) => void,
): Promise<number> {
  const stored = readStoredSpec(name);
  if (!stored) throw new ContainerStateError(name, `no container named ${name}`);
  const rt = readRuntime(name);
  if (!rt || !isAlive(deps.kernel, rt)) throw new ContainerStateError(name, `container ${name} is not running`);
  const base = image ? payloadFor(stored.spec, image.config) : { env: stored.spec.env, cwd: stored.spec.workdir || '/' };
  const parked = deps.kernel.execInContainer({ leaderPid: rt.initPid, argv, env: mergeEnv(base.env, extraEnv), cwd: base.cwd });
  const bus = await deps.systemd().catch((e) => { parked.abort(); throw e; });
  try {
    if (rt.mode !== 'service') await bus.scopes.attachProcesses(rt.unit, [parked.pid]);
  } catch (e) {
    parked.abort();
    throw e;
  } finally {
    bus.close();
  }
  parked.release();
  onStarted?.(parked.pid);
  return parked.wait();
}
