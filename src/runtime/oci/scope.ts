import type { UnitProperty } from '../../systemd/properties.js';
import type { CreatePlan } from '../../oci/index.js';

/**
 * What every container's scope carries besides what src/oci planned (runc's
 * Delegate=yes, DefaultDependencies=no, config.json's resources and
 * org.systemd.property.* annotations, which win on the same name): where it
 * goes, its process, and tsmachine's collection and stop rules.
 */
export function scopeBaseProperties(plan: CreatePlan, initPid: number): UnitProperty[] {
  const base: UnitProperty[] = [
    ['Slice', { signature: 's', value: plan.unit.slice }],
    ['PIDs', { signature: 'au', value: [initPid] }],
    // A stopped container's scope goes, even failed: its name is free for the next create.
    ['CollectMode', { signature: 's', value: 'inactive-or-failed' }],
    // machinectl terminate: SIGTERM, then SIGKILL after this; a PID 1 without a
    // SIGTERM handler never sees SIGTERM, and systemd's 90 s would make terminate hang.
    ['TimeoutStopUSec', { signature: 't', value: 10_000_000n }],
  ];
  const given = new Set(plan.properties.map(([name]) => name));
  return base.filter(([name]) => name === 'PIDs' || name === 'Slice' || !given.has(name));
}
