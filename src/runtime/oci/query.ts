import { readTextIfPresent } from '../../quiet-fs.js';
import { stateJson, type OciState } from '../../oci/index.js';
import { initCgroupDir, statusOf } from './status.js';
import type { OciStore } from './store.js';

/** runtime-spec `state`: from the record and the kernel, no systemd round trip. */
export function containerState(store: OciStore, id: string): OciState {
  const r = store.get(id);
  const status = statusOf(store, r);
  return stateJson({ id, status, pid: status === 'stopped' ? 0 : r.pid, bundle: r.bundle, annotations: r.annotations });
}

/** The PIDs of the container's cgroup (cgroup.procs of its scope, read only); empty when it stopped. */
export function containerPids(store: OciStore, id: string): number[] {
  const r = store.get(id);
  if (statusOf(store, r) === 'stopped') return [];
  const dir = initCgroupDir(r.pid);
  const procs = dir ? readTextIfPresent(`${dir}/cgroup.procs`) : null;
  return (procs ?? '').split('\n').filter(Boolean).map(Number);
}
