import type { SystemBus } from './bus.js';
import { asArray, asBytes, asMap, asNumber, asString, isVariant, type DBusKey, type DBusValue } from './dbus/values.js';
import { DBusProtocolError, ErrorNames, isBusError, MachineExistsError, UnitPropertyError } from './errors.js';

const DEST = 'org.freedesktop.machine1';
const PATH = '/org/freedesktop/machine1';
const MANAGER = 'org.freedesktop.machine1.Manager';
const MACHINE = 'org.freedesktop.machine1.Machine';
const DEFAULT_TIMEOUT_MS = 30_000;

export interface RegisterMachineOptions {
  name: string;
  /** 16-byte machine id, or empty/absent to let machined leave it unset. */
  id?: Uint8Array;
  service?: string;
  class?: 'container' | 'vm';
  /** PID (in the host namespace) of the container's init. */
  leader: number;
  rootDirectory: string;
  /** Host-side interfaces (e.g. the veth), so machinectl can show addresses. */
  ifindices?: number[];
}

export interface MachineInfo {
  path: string;
  name: string;
  leader: number;
  unit: string;
  state: string;
  class: string;
  service: string;
  rootDirectory: string;
  networkInterfaces: number[];
}

export interface MachineListEntry {
  name: string;
  class: string;
  service: string;
  path: string;
}

export interface MachineAddress {
  family: 'inet' | 'inet6';
  address: string;
}

/**
 * org.freedesktop.machine1.Manager. tsmachine registers a machine for the
 * scope it created itself (RegisterMachineWithNetwork: machined takes the
 * unit from the leader's cgroup), like systemd-nspawn --keep-unit, so
 * machinectl list/status/terminate and nss-mymachines see the container.
 */
export class Machined {
  private readonly timeoutMs: number;

  constructor(
    private readonly bus: SystemBus,
    opts: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Register; resolves with the machine's object path. */
  async registerMachineWithNetwork(opts: RegisterMachineOptions): Promise<string> {
    const id = opts.id ?? new Uint8Array(0);
    if (id.length !== 0 && id.length !== 16) throw new UnitPropertyError('machine id', `must be 16 bytes or empty, got ${id.length}`);
    try {
      const [path] = await this.callManager(
        'RegisterMachineWithNetwork',
        'sayssusai',
        [opts.name, id, opts.service ?? 'tsmachine', opts.class ?? 'container', opts.leader, opts.rootDirectory, opts.ifindices ?? []],
        opts.name,
      );
      return asString(path, 'RegisterMachineWithNetwork path');
    } catch (err) {
      if (isBusError(err, ErrorNames.MachineExists)) throw new MachineExistsError(opts.name, err);
      throw err;
    }
  }

  /** Kill the machine's processes and drop it; false when there was none. */
  async terminateMachine(name: string): Promise<boolean> {
    return this.ignoringMissing(() => this.callManager('TerminateMachine', 's', [name], name));
  }

  /** Drop the registration only (processes stay); false when there was none. */
  async unregisterMachine(name: string): Promise<boolean> {
    return this.ignoringMissing(() => this.callManager('UnregisterMachine', 's', [name], name));
  }

  async getMachine(name: string): Promise<MachineInfo | null> {
    let path: string;
    try {
      path = asString((await this.callManager('GetMachine', 's', [name], name))[0], 'GetMachine path');
    } catch (err) {
      if (isBusError(err, ErrorNames.NoSuchMachine)) return null;
      throw err;
    }
    let all: Map<DBusKey, DBusValue>;
    try {
      const [props] = await this.bus.call({ destination: DEST, path, interface: 'org.freedesktop.DBus.Properties', member: 'GetAll', signature: 's', body: [MACHINE], object: name, timeoutMs: this.timeoutMs });
      all = asMap(props, 'Machine properties');
    } catch (err) {
      // Gone between GetMachine and GetAll.
      if (isBusError(err, ErrorNames.UnknownObject) || isBusError(err, ErrorNames.NoSuchMachine)) return null;
      throw err;
    }
    const prop = (key: string): DBusValue | undefined => {
      const v = all.get(key);
      return isVariant(v) ? v.value : undefined;
    };
    return {
      path,
      name: asString(prop('Name'), 'Name'),
      leader: asNumber(prop('Leader'), 'Leader'),
      unit: asString(prop('Unit') ?? '', 'Unit'),
      state: asString(prop('State') ?? '', 'State'),
      class: asString(prop('Class'), 'Class'),
      service: asString(prop('Service') ?? '', 'Service'),
      rootDirectory: asString(prop('RootDirectory') ?? '', 'RootDirectory'),
      networkInterfaces: asArray(prop('NetworkInterfaces') ?? [], 'NetworkInterfaces').map((i) => asNumber(i, 'ifindex')),
    };
  }

  /**
   * Registered machines. Like `machinectl list`, hides the ones whose name
   * starts with '.' (machined's own ".host") unless `all` is set.
   */
  async listMachines(opts: { all?: boolean } = {}): Promise<MachineListEntry[]> {
    const [list] = await this.callManager('ListMachines');
    const machines = asArray(list, 'ListMachines').map((entry) => {
      const [name, klass, service, path] = asArray(entry, 'machine entry');
      return { name: asString(name, 'name'), class: asString(klass, 'class'), service: asString(service, 'service'), path: asString(path, 'path') };
    });
    return opts.all ? machines : machines.filter((m) => !m.name.startsWith('.'));
  }

  /** Addresses inside the container (machined enters its netns to read them). */
  async getMachineAddresses(name: string): Promise<MachineAddress[]> {
    const [list] = await this.callManager('GetMachineAddresses', 's', [name], name);
    return asArray(list, 'GetMachineAddresses').map((entry) => {
      const [family, bytes] = asArray(entry, 'address entry');
      return formatAddress(asNumber(family, 'family'), asBytes(bytes, 'address'));
    });
  }

  private callManager(member: string, signature?: string, body?: DBusValue[], object?: string): Promise<DBusValue[]> {
    return this.bus.call({ destination: DEST, path: PATH, interface: MANAGER, member, signature, body, object, timeoutMs: this.timeoutMs });
  }

  private async ignoringMissing(call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (err) {
      if (isBusError(err, ErrorNames.NoSuchMachine)) return false;
      throw err;
    }
  }
}

const AF_INET = 2;
const AF_INET6 = 10;

/** machined's (family, raw bytes) as text; IPv6 in RFC 5952 short form. */
export function formatAddress(family: number, bytes: Uint8Array): MachineAddress {
  if (family === AF_INET && bytes.length === 4) return { family: 'inet', address: Array.from(bytes).join('.') };
  if (family === AF_INET6 && bytes.length === 16) {
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
    // The longest run (>= 2) of zero groups becomes "::".
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
    const address = best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
    return { family: 'inet6', address };
  }
  throw new DBusProtocolError(`unexpected reply: address family ${family} with ${bytes.length} bytes`);
}
