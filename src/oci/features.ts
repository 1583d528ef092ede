/**
 * `tsmachine-oci features` (runtime-spec features.md): what this runtime
 * understands. Facts about the machine (libseccomp, AppArmor, SELinux) come
 * from the caller.
 */
import { KNOWN_CAPABILITIES } from './caps.js';
import { KNOWN_MOUNT_OPTIONS } from './mounts.js';
import { NAMESPACE_TYPES } from './namespaces.js';
import { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPERATORS } from './seccomp.js';
import { HOOK_KINDS } from './spec.js';
import { OCI_VERSION } from './state.js';
import { SYSTEMD_PROPERTY_PREFIX } from './annotations.js';

export interface FeaturesInputs {
  /** libseccomp could be loaded (kernel/seccomp-compile.ts). */
  seccompEnabled: boolean;
  /** "2.5.4", when known. */
  libseccompVersion?: string;
  /** The architectures libseccomp here knows; default: all of the runtime-spec's. */
  seccompArchs?: readonly string[];
  /** Flags both libseccomp and the kernel take. */
  seccompSupportedFlags?: readonly string[];
  apparmorEnabled: boolean;
  selinuxEnabled: boolean;
  /** tsmachine-oci's own version, for the annotations. */
  version?: string;
}

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: { enabled: boolean; actions?: string[]; operators?: string[]; archs?: string[]; knownFlags?: string[]; supportedFlags?: string[] };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
  };
  annotations: Record<string, string>;
  potentiallyUnsafeConfigAnnotations: string[];
}

export function featuresJson(i: FeaturesInputs): Features {
  const annotations: Record<string, string> = {};
  if (i.libseccompVersion !== undefined) annotations['io.github.seccomp.libseccomp.version'] = i.libseccompVersion;
  if (i.version !== undefined) annotations['com.tsmachine.oci.version'] = i.version;
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: [...KNOWN_MOUNT_OPTIONS],
    linux: {
      namespaces: [...NAMESPACE_TYPES],
      capabilities: [...KNOWN_CAPABILITIES],
      // Every container is a transient systemd scope on the unified hierarchy; there is no cgroupfs driver.
      cgroup: { v1: false, v2: true, systemd: true, systemdUser: false, rdma: false },
      seccomp: i.seccompEnabled
        ? {
            enabled: true,
            actions: [...SECCOMP_ACTIONS],
            operators: [...SECCOMP_OPERATORS],
            archs: [...(i.seccompArchs ?? SECCOMP_ARCHES)],
            knownFlags: [...SECCOMP_FLAGS],
            supportedFlags: [...(i.seccompSupportedFlags ?? [])],
          }
        : { enabled: false },
      apparmor: { enabled: i.apparmorEnabled },
      selinux: { enabled: i.selinuxEnabled },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations,
    // An annotation that changes how the host treats the container (runc lists the same prefix).
    potentiallyUnsafeConfigAnnotations: [SYSTEMD_PROPERTY_PREFIX],
  };
}
