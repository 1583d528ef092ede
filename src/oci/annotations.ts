/**
 * What annotations ask of tsmachine-oci: systemd unit properties
 * (`org.systemd.property.NAME`, runc's convention) and the machine name.
 */
import type { UnitProperty } from '../systemd/properties.js';
import { OciConfigError, at } from './errors.js';

export const SYSTEMD_PROPERTY_PREFIX = 'org.systemd.property.';

/**
 * The machined name of a container, instead of its ID. podman 4.3 puts no
 * container name in config.json (only io.container.manager=libpod and
 * io.podman.annotations.*), so without this annotation the machine is the ID.
 */
export const MACHINE_NAME_ANNOTATION = 'com.tsmachine.machine-name';

/** Properties the runtime sets itself: an annotation must not replace them. */
const RESERVED = new Set(['PIDs', 'Slice', 'Delegate']);

const U64_MAX = (1n << 64n) - 1n;
const INTS: Readonly<Record<string, [sig: string, min: bigint, max: bigint]>> = {
  byte: ['y', 0n, 255n], int16: ['n', -(1n << 15n), (1n << 15n) - 1n], uint16: ['q', 0n, (1n << 16n) - 1n],
  int32: ['i', -(1n << 31n), (1n << 31n) - 1n], uint32: ['u', 0n, (1n << 32n) - 1n],
  int64: ['x', -(1n << 63n), (1n << 63n) - 1n], uint64: ['t', 0n, U64_MAX],
};

/**
 * `org.systemd.property.NAME` = GVariant text → properties, as runc's
 * initSystemdProps: NAME is at least 3 latin letters; a NAME ending in a
 * lowercase letter + "Sec" is systemd's NAMEUSec in microseconds. Values
 * understood: `uint64 N` and the other typed integers (byte, int16, uint16,
 * int32, uint32, int64), a plain integer (an int32, as GVariant reads it),
 * doubles (1.5, `double 2`), true/false, 'quoted' or "quoted" strings and
 * arrays of them (['a', 'b'], `@as []`). Anything else is refused rather
 * than guessed.
 */
export function annotationProperties(annotations: Record<string, string> | undefined): UnitProperty[] {
  const props: UnitProperty[] = [];
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(SYSTEMD_PROPERTY_PREFIX)) continue;
    const path = at('annotations', key);
    let name = key.slice(SYSTEMD_PROPERTY_PREFIX.length);
    if (!/^[A-Za-z]{3,}$/.test(name)) throw new OciConfigError(path, `names property '${name}': a property name is 3 or more latin letters`);
    let [signature, value] = parseGVariant(text.trim(), path);
    // NAMESec (a lowercase letter before Sec, so not FOOSec) is systemd's NAMEUSec.
    const secName = /^(.*[a-z])Sec$/.exec(name);
    if (secName !== null) {
      let usec: bigint;
      if (typeof value === 'bigint' && value >= 0n) usec = value * 1_000_000n;
      else if (signature === 'd' && typeof value === 'number' && value >= 0) usec = BigInt(Math.trunc(value * 1e6));
      else throw new OciConfigError(path, `'${text}': ${name} takes a number of seconds`);
      if (usec > U64_MAX) throw new OciConfigError(path, `'${text}' is too large`);
      name = `${secName[1]}USec`;
      [signature, value] = ['t', usec];
    }
    if (RESERVED.has(name)) throw new OciConfigError(path, `sets ${name}, which tsmachine-oci sets itself`);
    props.push([name, { signature, value: typeof value === 'bigint' && signature !== 't' && signature !== 'x' ? Number(value) : value }]);
  }
  return props;
}

type Parsed = [string, bigint | boolean | string | number | string[]];

function parseGVariant(text: string, path: string): Parsed {
  if (text === 'true' || text === 'false') return ['b', text === 'true'];
  const dbl = /^(?:double\s+)?(-?\d+\.\d*(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+)$/.exec(text) ?? /^double\s+(-?\d+)$/.exec(text);
  if (dbl !== null) return ['d', Number(dbl[1])];
  // An array of strings: CRI-O's After=['crio.service'].
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1).trim();
    if (inner === '') throw new OciConfigError(path, `'${text}': an empty array has no type; write '@as []'`);
    const items: string[] = [];
    for (const m of splitTopLevel(inner, path, text)) {
      const [sig, v] = parseGVariant(m, path);
      if (sig !== 's') throw new OciConfigError(path, `'${text}': only arrays of strings are understood`);
      items.push(v as string);
    }
    return ['as', items];
  }
  if (text === '@as []') return ['as', []];
  const typed = /^(byte|u?int(?:16|32|64))\s+(-?\d+)$/.exec(text);
  if (typed !== null) {
    const [sig, min, max] = INTS[typed[1]!]!;
    const n = BigInt(typed[2]!);
    if (n < min || n > max) throw new OciConfigError(path, `'${text}' is out of range for ${typed[1]}`);
    return [sig, n];
  }
  if (/^-?\d+$/.test(text)) {
    // GVariant's untyped integer is an int32 (what runc's godbus parser makes, and
    // what KillSignal= takes); systemd's 't' properties need the 'uint64 N' form.
    const n = BigInt(text);
    if (n < -(1n << 31n) || n >= 1n << 31n) throw new OciConfigError(path, `'${text}' does not fit an int32: write 'uint64 ${text}'`);
    return ['i', n];
  }
  const q = /^(['"])(.*)\1$/s.exec(text);
  if (q !== null) {
    const quote = q[1]!;
    let out = '';
    const body = q[2]!;
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c === quote) throw new OciConfigError(path, `'${text}' has an unescaped ${quote} inside`);
      if (c !== '\\') { out += c; continue; }
      const next = body[++i];
      if (next === undefined || !`\\'"`.includes(next)) throw new OciConfigError(path, `'${text}': only \\\\, \\' and \\" escapes are understood`);
      out += next;
    }
    return ['s', out];
  }
  throw new OciConfigError(path, `value '${text}' is not understood: use 'uint64 N', N, true, false or a 'quoted string'`);
}

/** "'a', 'b,c'" → ["'a'", "'b,c'"]: commas outside quotes split. */
function splitTopLevel(inner: string, path: string, text: string): string[] {
  const out: string[] = [];
  let quote = '';
  let cur = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote !== '') {
      cur += c;
      if (c === '\\') cur += inner[++i] ?? '';
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  if (quote !== '') throw new OciConfigError(path, `'${text}' has an unterminated string`);
  out.push(cur.trim());
  return out;
}

/** systemd's hostname_is_valid() for machine names: LDH labels split by dots, at most 64 characters. */
export function isValidMachineName(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  return name.split('.').every((label) => /^[A-Za-z0-9-]+$/.test(label));
}

/**
 * The machined name: the annotation when it is a valid name, else the ID
 * when it is one (podman's 64 hex digits are), else the ID with what a
 * hostname cannot hold turned into '-' and cut to 64 (containerd's IDs may
 * hold '_' and be longer). Two IDs can meet in one name then; machined
 * refuses the second create with "already exists", which says so.
 */
export function machineName(id: string, annotations: Record<string, string> | undefined, warnings: string[]): string {
  const asked = annotations?.[MACHINE_NAME_ANNOTATION];
  if (asked !== undefined) {
    if (isValidMachineName(asked)) return asked;
    warnings.push(`annotation ${MACHINE_NAME_ANNOTATION} '${asked}' is not a valid machine name; using the container ID`);
  }
  if (isValidMachineName(id)) return id;
  const cleaned = id.replace(/[^A-Za-z0-9.-]/g, '-').replace(/\.{2,}/g, '.').replace(/^\.+|\.+$/g, '').slice(0, 64).replace(/\.+$/, '');
  const name = cleaned === '' ? 'tsmachine-oci' : cleaned;
  warnings.push(`container ID '${id}' is not a valid machine name; registered as '${name}'`);
  return name;
}
