import { net } from '../../builtins.js';
import { InvalidValue } from './error.js';
import { parseBoolean, parseSeccomp, parseUser, type Parsed } from '../units.js';
import { parsePrivateUsers } from '../userns.js';
import { capabilityName } from '../caps.js';
import { parseDevice, parseDeviceRule } from '../devices.js';
import { parseLxcfsMode } from '../lxcfs.js';
import { splitWords } from './words.js';

/**
 * Value parsers of the settings table: each takes the trimmed, non-empty
 * text after '=' and returns the text ContainerOptions holds, or throws
 * InvalidValue("'x' is not a y"). They check syntax only, so a mistake is
 * reported with its file and line; ranges that depend on the host (CPUs
 * present, memory installed) are config/spec.ts's business.
 */

const q = (v: string): string => `'${v}'`;

/** Any text (an image name or path). */
export function text(v: string): string {
  return v;
}

export function absolutePath(v: string): string {
  if (!v.startsWith('/')) throw new InvalidValue(`${q(v)} is not an absolute path`);
  return v;
}

/** systemd's hostname_is_valid(): dot-separated labels of [A-Za-z0-9-], at most 64 characters. */
export function hostname(v: string): string {
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
  if (v.length > 64 || !v.split('.').every((l) => label.test(l))) throw new InvalidValue(`${q(v)} is not a valid hostname`);
  return v;
}

/** Parameters=: the payload's argv, quoted words as systemd splits them. */
export function words(v: string): string[] {
  return splitWords(v);
}

/** Environment=: one or more quoted "K=V" words, as nspawn's Environment=; names as config/spec.ts accepts them. */
export function environment(v: string): string[] {
  const items = splitWords(v);
  for (const item of items) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(item)) throw new InvalidValue(`${q(item)} is not a NAME=VALUE assignment`);
  }
  return items;
}

/**
 * Bind=/BindReadOnly=: nspawn's "SRC[:DST]" (DST defaults to SRC), one per
 * line. nspawn's third field (mount options such as rbind/idmap) is not
 * supported and is refused rather than silently dropped.
 */
export function bind(readOnly: boolean): (v: string) => string[] {
  return (v) => {
    const parts = v.split(':');
    if (parts.length > 2) throw new InvalidValue(`${q(v)}: mount options and ':' in paths are not supported`);
    const src = parts[0] as string;
    const dst = parts[1] ?? src;
    if (!src.startsWith('/') || !dst.startsWith('/')) throw new InvalidValue(`${q(v)}: source and destination must be absolute paths`);
    return [`${src}:${dst}${readOnly ? ':ro' : ''}`];
  };
}

/**
 * Port=: nspawn's "[PROTO:]HOSTPORT[:CPORT]" (PROTO tcp or udp, default tcp;
 * CPORT defaults to HOSTPORT), converted to the CLI's "HOSTPORT:CPORT/PROTO".
 */
export function port(v: string): string[] {
  let proto = 'tcp';
  let rest = v;
  const m = /^(tcp|udp):(.*)$/.exec(v);
  if (m) {
    proto = m[1] as string;
    rest = m[2] as string;
  }
  const parts = rest.split(':');
  if (parts.length > 2) throw new InvalidValue(`${q(v)} is not [tcp:|udp:]HOSTPORT[:CONTAINERPORT]`);
  const host = ipPort(parts[0] as string, v);
  const container = parts.length === 2 ? ipPort(parts[1] as string, v) : host;
  return [`${host}:${container}/${proto}`];
}

/** The key nspawn refuses duplicates by: one host port per protocol. */
export function portIdentity(published: string): string {
  const [ports, proto] = published.split('/');
  return `${(ports ?? '').split(':')[0]}/${proto}`;
}

function ipPort(p: string, whole: string): number {
  const n = /^[0-9]{1,5}$/.test(p) ? Number(p) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new InvalidValue(`${q(whole)}: '${p}' is not a port (1-65535)`);
  return n;
}

/** Network Mode=: the CLI's --network values. */
export function networkMode(v: string): string {
  if (v === 'bridge' || v === 'none' || v === 'host') return v;
  const m = /^(macvlan|ipvlan):(.+)$/.exec(v);
  // Linux interface names: at most 15 bytes, no '/', ':' or whitespace.
  if (m && /^[^/:\s]{1,15}$/.test(m[2] as string)) return v;
  throw new InvalidValue(`${q(v)} is not one of bridge, none, host, macvlan:IFACE, ipvlan:IFACE`);
}

export function ipAddress(v: string): string {
  if (net().isIP(v) === 0) throw new InvalidValue(`${q(v)} is not an IP address`);
  return v;
}

/** DNS=: one or more addresses separated by whitespace, as resolved.conf's DNS=. */
export function ipAddresses(v: string): string[] {
  return splitWords(v).map(ipAddress);
}

/**
 * CPUQuota=: systemd's percentage of one CPU, possibly above 100% and with
 * up to two decimals (its permyriad precision), converted to CPUs:
 * "50%" → "0.5", "250%" → "2.5", "12.5%" → "0.125". Decimal arithmetic on
 * the digits, so no float noise ends up in the text.
 */
export function cpuQuota(v: string): string {
  const m = /^([0-9]+)(?:\.([0-9]{1,2}))?%$/.exec(v);
  if (!m) throw new InvalidValue(`${q(v)} is not a percentage such as 50% or 200%`);
  const frac = m[2] ?? '';
  const scale = frac.length + 2;
  const n = BigInt((m[1] as string) + frac);
  if (n === 0n) throw new InvalidValue(`${q(v)}: the CPU quota must be above 0%`);
  const unit = 10n ** BigInt(scale);
  const whole = (n / unit).toString();
  const rest = (n % unit).toString().padStart(scale, '0').replace(/0+$/, '');
  return rest === '' ? whole : `${whole}.${rest}`;
}

/** The value a config/ parser accepts (as `keep` turns it into text), or InvalidValue with its reason. */
function checked<T>(v: string, r: Parsed<T>, keep: (value: T) => string): string {
  if (!r.ok) throw new InvalidValue(`${q(v)} ${r.reason}`);
  return keep(r.value);
}

/** User=: as --user, "USER[:GROUP]" (nspawn takes a name only; a group is our extension). */
export const user = (v: string): string => checked(v, parseUser(v), (u) => u);

/** PrivateUsers=: nspawn's values (a boolean, "pick", BASE[:SIZE]), kept as written for config/spec.ts. */
export const privateUsers = (v: string): string => checked(v, parsePrivateUsers(v), () => v);

/** SeccompProfile=: as --seccomp, default or unconfined. */
export const seccompProfile = (v: string): string => checked(v, parseSeccomp(v), (p) => p);

/** NoNewPrivileges= and other booleans: systemd's spellings, held as "yes" or "no". */
export const boolean = (v: string): string => checked(v, parseBoolean(v), (b) => (b ? 'yes' : 'no'));

/** LXCFS=: as --lxcfs, auto or a boolean, held as auto, yes or no. */
export const lxcfsMode = (v: string): string => checked(v, parseLxcfsMode(v), (m) => m);

/** MemoryMax=: systemd's size syntax (base 1024 suffixes K M G T P E, or bytes) or "infinity", passed through. */
export function size(v: string): string {
  if (v === 'infinity' || /^[0-9]+(?:\.[0-9]+)?[KMGTPEB]?$/.test(v)) return v;
  throw new InvalidValue(`${q(v)} is not a size`);
}

/** TasksMax=: a count or "infinity" (systemd's percentage form is not supported). */
export function countOrInfinity(v: string): string {
  if (v === 'infinity' || /^[0-9]+$/.test(v)) return v;
  throw new InvalidValue(`${q(v)} is not a number or 'infinity'`);
}

/** AllowedCPUs=: systemd's CPU list ("0-1,3" or "0 1 3"), normalised to the comma form. */
export function cpuList(v: string): string {
  const items = v.split(/[\s,]+/).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidValue(`${q(v)} is not a CPU list such as 0-1,3`);
  for (const item of items) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(item);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) throw new InvalidValue(`${q(v)} is not a CPU list such as 0-1,3`);
  }
  return items.join(',');
}

/** IOWeight=: 1..10000, as systemd's CGROUP_WEIGHT range. */
export function ioWeight(v: string): string {
  const n = /^[0-9]{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 10000)) throw new InvalidValue(`${q(v)} is not a weight between 1 and 10000`);
  return v;
}

/**
 * Capability=/DropCapability=: nspawn's space-separated names (CAP_ prefix
 * optional, "all"), kept as written for config/spec.ts.
 */
export function capabilities(v: string): string[] {
  const items = splitWords(v);
  for (const c of items) if (capabilityName(c) === null) throw new InvalidValue(`${q(c)} is not a capability`);
  return items;
}

/** Device=: as --device, "HOST[:CONTAINER][:rwm]" (whether HOST exists is checked when the container is made). */
export const device = (v: string): string[] => [checked(v, parseDevice(v), () => v)];

/** DeviceAllow=: systemd's "PATH [rwm]". */
export const deviceRule = (v: string): string[] => [checked(v, parseDeviceRule(v), () => v)];
