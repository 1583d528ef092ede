/**
 * The state JSON (runtime-spec runtime.md "State") that `state` prints and
 * hooks read on stdin.
 */
export type OciStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** The runtime-spec version tsmachine-oci implements (state, features). */
export const OCI_VERSION = '1.1.0';

export interface OciState {
  ociVersion: string;
  id: string;
  status: OciStatus;
  /** Host PID of init; 0 once stopped (runc prints 0 rather than leaving it out). */
  pid: number;
  bundle: string;
  /** Left out when there are none. */
  annotations?: Record<string, string>;
  /** runc's extras, printed by `state` only when given. */
  rootfs?: string;
  created?: string;
  owner?: string;
}

export interface StateInputs {
  id: string;
  status: OciStatus;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
  rootfs?: string;
  /** ISO 8601, UTC. */
  created?: string;
  owner?: string;
}

/**
 * "pid ... REQUIRED when status is created or running" (runtime.md); a
 * stopped container's PID may be someone else's by now, so it becomes 0.
 */
export function stateJson(s: StateInputs): OciState {
  const out: OciState = { ociVersion: OCI_VERSION, id: s.id, status: s.status, pid: s.status === 'stopped' ? 0 : s.pid, bundle: s.bundle };
  if (s.annotations !== undefined && Object.keys(s.annotations).length > 0) out.annotations = { ...s.annotations };
  if (s.rootfs !== undefined) out.rootfs = s.rootfs;
  if (s.created !== undefined) out.created = s.created;
  if (s.owner !== undefined) out.owner = s.owner;
  return out;
}
