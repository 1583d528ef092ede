/**
 * Resource limits of one container, already validated and in base units.
 * `undefined` means "not limited / systemd's default". Produced by the spec
 * parser (flags, settings files), consumed by systemd/properties.ts.
 */
export interface Limits {
  /** CPUs of bandwidth, e.g. 0.5 → half a CPU (→ CPUQuotaPerSecUSec). */
  cpus?: number;
  /** Bytes (→ MemoryMax). */
  memory?: number;
  /** Tasks (→ TasksMax). */
  pids?: number;
  /** CPU numbers (→ AllowedCPUs bitmask). */
  cpuset?: number[];
  /** 1..10000 (→ IOWeight). */
  ioWeight?: number;
}
