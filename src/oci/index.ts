/**
 * tsmachine-oci's config.json mapping (pure): what src/runtime/oci and
 * src/cli/oci import. Each module says which runc/runtime-spec rule it follows.
 */
export { OciConfigError } from './errors.js';
export { parseSpec, parseResources, type Spec, type LinuxResources, type Process, type HookKind } from './spec.js';
export { planCreate, type CreatePlan, type CreateOptions, type OciCreateFields } from './plan.js';
export { planExecProcess, planProcess, type ProcessPlan, type ProcessPlanResult } from './process.js';
export { resourceProperties, updateResourceProperties } from './resources.js';
export { annotationProperties, machineName, MACHINE_NAME_ANNOTATION, SYSTEMD_PROPERTY_PREFIX } from './annotations.js';
export { unitForCgroupsPath, defaultUnit, type UnitPlan } from './cgroups-path.js';
export { planSeccomp } from './seccomp.js';
export { stateJson, OCI_VERSION, type OciState, type OciStatus, type StateInputs } from './state.js';
export { featuresJson, type Features, type FeaturesInputs } from './features.js';
