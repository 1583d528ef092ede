import { readFileSync } from 'node:fs';
import { kill, processStat } from '../../kernel/index.js';
import { updateResourceProperties } from '../../oci/index.js';
import { OciRuntimeError } from './errors.js';
import { runHooksWarning } from './hooks.js';
import { initAlive, statusOf } from './status.js';
import type { OciStore } from './store.js';
import { OciSystemd } from './systemd.js';
import { cleanLeftover } from './leftover.js';
import { stateJson } from '../../oci/index.js';
import { sleep } from '../../sleep.js';
import { acquireLock } from '../../kernel/index.js';

/** runtime-spec `kill`: the init, or with --all every process of the scope (systemd's KillUnit). */
export async function killContainer(store: OciStore, id: string, signal: number, all: boolean): Promise<void> {
  const r = store.get(id);
  if (all) {
    const systemd = new OciSystemd();
    try {
      await (await systemd.manager()).killUnit(r.unit, 'all', signal);
    } finally {
      await systemd.close();
    }
    return;
  }
  if (!initAlive(r) || !kill(r.pid, signal)) throw new OciRuntimeError('container is not running', id);
}

/** Until the init has ended (gone or a zombie), at most ms. */
async function waitEnded(pid: number, startTime: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 2; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
    const st = processStat(pid);
    if (st === null || st.startTime !== startTime || st.state === 'Z' || st.state === 'X') return true;
    await sleep(delay);
  }
  return false;
}

/**
 * runtime-spec `delete`: a running or paused container only with --force
 * (SIGKILL to the whole scope first); a created one as runc and crun do.
 * The unit and the machine gone already (stopped containers' scopes are
 * collected by systemd) are no error.
 */
export async function deleteContainer(store: OciStore, id: string, force: boolean, warn: (line: string) => void): Promise<void> {
  const r = store.read(id);
  if (r === null) {
    // runc and crun: --force of an unknown ID succeeds. containerd's shim
    // runs `delete --force` after a create that failed, and would log ours.
    if (!store.exists(id)) {
      if (force) return;
      throw new OciRuntimeError(`container ${id} does not exist`, id);
    }
    store.remove(id); // a create killed before its first record
    return;
  }
  const lock = acquireLock(store.lockFile(id), { wait: 'poll-sync', timeoutMs: 30_000 });
  try {
    const status = statusOf(store, r);
    if ((status === 'running' || status === 'paused') && !force) throw new OciRuntimeError(`cannot delete a container that is ${status} (use --force)`, id);
    if (status === 'creating' && !force) throw new OciRuntimeError('cannot delete a container that is being created (use --force)', id);
    const systemd = new OciSystemd();
    try {
      if (status !== 'stopped') {
        const manager = await systemd.manager();
        // Frozen tasks still die of SIGKILL on cgroup v2.
        await manager.killUnit(r.unit, 'all', 9).catch(() => kill(r.pid, 9));
        if (!(await waitEnded(r.pid, r.pidStartTime, 10_000))) throw new OciRuntimeError(`init ${r.pid} did not end after SIGKILL`, id);
      }
    } finally {
      await systemd.close();
    }
    await cleanLeftover(store, id, r);
    if (r.poststop.length > 0) runHooksWarning(id, 'poststop', r.poststop, JSON.stringify(stateJson({ id, status: 'stopped', pid: 0, bundle: r.bundle, annotations: r.annotations })), warn);
  } finally {
    lock.release();
  }
}

/** `pause`/`resume`: systemd's FreezeUnit/ThawUnit on the container's scope. */
export async function freezeContainer(store: OciStore, id: string, freeze: boolean): Promise<void> {
  const r = store.get(id);
  const status = statusOf(store, r);
  if (freeze ? status !== 'running' : status !== 'paused') throw new OciRuntimeError(`cannot ${freeze ? 'pause' : 'resume'} a container that is ${status}`, id);
  const systemd = new OciSystemd();
  try {
    const m = await systemd.manager();
    await (freeze ? m.freezeUnit(r.unit) : m.thawUnit(r.unit));
  } finally {
    await systemd.close();
  }
}

/** `update --resources FILE|-`: linux.resources as SetUnitProperties on the live scope (runtime, as runc's systemd driver). */
export async function updateContainer(store: OciStore, id: string, resourcesFile: string): Promise<void> {
  const r = store.get(id);
  const text = readFileSync(resourcesFile === '-' ? 0 : resourcesFile, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new OciRuntimeError(`${resourcesFile}: not JSON: ${(e as Error).message}`, id, { cause: e });
  }
  const props = updateResourceProperties(json, [], resourcesFile === '-' ? 'resources' : resourcesFile);
  if (statusOf(store, r) === 'stopped') throw new OciRuntimeError('cannot update a container that is stopped', id);
  if (props.length === 0) return;
  const systemd = new OciSystemd();
  try {
    await (await systemd.manager()).setUnitProperties(r.unit, true, props);
  } finally {
    await systemd.close();
  }
}
