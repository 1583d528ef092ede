import type { ContainerOptions } from '../options.js';
import * as v from './values.js';

/**
 * The settings keys, one line each, in the spirit of nspawn's
 * nspawn-gperf.gperf (Section.Key → parser → field). Adding a key is adding
 * a line here (and a paragraph in man/tsmachine.tsmachine.5).
 *
 * scalar: a repeated key replaces the earlier value (last wins); an empty
 *         assignment ("Hostname=") unsets it, back to the default.
 * list:   each assignment appends its items; an empty assignment resets the
 *         list to empty (as systemd's list settings). Keys sharing a field
 *         (Bind=, BindReadOnly=) share one list.
 */

/** ContainerOptions fields that hold lists, derived so the table cannot point a list key at a scalar field. */
export type ListField = {
  [K in keyof ContainerOptions]-?: NonNullable<ContainerOptions[K]> extends readonly string[] ? K : never;
}[keyof ContainerOptions];
export type ScalarField = Exclude<keyof ContainerOptions, ListField>;

export interface ScalarKey {
  kind: 'scalar';
  section: string;
  key: string;
  field: ScalarField;
  parse: (value: string) => string;
}

export interface ListKey {
  kind: 'list';
  section: string;
  key: string;
  field: ListField;
  parse: (value: string) => string[];
  /** Items with the same identity may not appear twice (nspawn refuses a host port published twice). */
  identity?: (item: string) => string;
}

export type KeyDef = ScalarKey | ListKey;

const scalar = (section: string, key: string, field: ScalarField, parse: ScalarKey['parse']): ScalarKey => ({ kind: 'scalar', section, key, field, parse });
const list = (section: string, key: string, field: ListField, parse: ListKey['parse'], identity?: ListKey['identity']): ListKey =>
  identity ? { kind: 'list', section, key, field, parse, identity } : { kind: 'list', section, key, field, parse };

// prettier-ignore
export const SETTINGS_TABLE: readonly KeyDef[] = [
  list  ('Exec',      'Parameters',       'command',    v.words),
  list  ('Exec',      'Environment',      'env',        v.environment),
  scalar('Exec',      'Hostname',         'hostname',   v.hostname),
  scalar('Exec',      'WorkingDirectory', 'workdir',    v.absolutePath),
  scalar('Exec',      'User',             'user',       v.user),
  scalar('Exec',      'PrivateUsers',     'privateUsers', v.privateUsers),
  scalar('Exec',      'NoNewPrivileges',  'noNewPrivileges', v.boolean),
  scalar('Exec',      'SeccompProfile',   'seccomp',    v.seccompProfile),
  list  ('Exec',      'Capability',       'capAdd',     v.capabilities),
  list  ('Exec',      'DropCapability',   'capDrop',    v.capabilities),
  scalar('Exec',      'Privileged',       'privileged', v.boolean),
  scalar('Files',     'Image',            'image',      v.text),
  list  ('Files',     'Bind',             'bind',       v.bind(false)),
  list  ('Files',     'BindReadOnly',     'bind',       v.bind(true)),
  list  ('Files',     'Device',           'device',     v.device),
  list  ('Files',     'DeviceAllow',      'deviceAllow', v.deviceRule),
  scalar('Files',     'LXCFS',            'lxcfs',      v.lxcfsMode),
  scalar('Network',   'Mode',             'network',    v.networkMode),
  list  ('Network',   'Port',             'publish',    v.port, v.portIdentity),
  scalar('Network',   'IP',               'ip',         v.ipAddress),
  list  ('Network',   'DNS',              'dns',        v.ipAddresses),
  scalar('Resources', 'CPUQuota',         'cpus',       v.cpuQuota),
  scalar('Resources', 'MemoryMax',        'memory',     v.size),
  scalar('Resources', 'TasksMax',         'pidsLimit',  v.countOrInfinity),
  scalar('Resources', 'AllowedCPUs',      'cpusetCpus', v.cpuList),
  scalar('Resources', 'IOWeight',         'ioWeight',   v.ioWeight),
];

export const KNOWN_SECTIONS: ReadonlySet<string> = new Set(SETTINGS_TABLE.map((k) => k.section));

const byName = new Map(SETTINGS_TABLE.map((k) => [`${k.section}.${k.key}`, k]));

export function lookupKey(section: string, key: string): KeyDef | undefined {
  return byName.get(`${section}.${key}`);
}
