import { BusConnection, type ConnectOptions } from './dbus/connection.js';

/** The connection type the systemd and machined wrappers take. */
export type SystemBus = BusConnection;
export type { ConnectOptions };

export const DEFAULT_SYSTEM_BUS_ADDRESS = 'unix:path=/run/dbus/system_bus_socket';

/** The system bus address: DBUS_SYSTEM_BUS_ADDRESS if set, else the standard socket. */
export function systemBusAddress(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DBUS_SYSTEM_BUS_ADDRESS;
  return fromEnv && fromEnv.length > 0 ? fromEnv : DEFAULT_SYSTEM_BUS_ADDRESS;
}

/** Connect to the system bus (where systemd and machined live). Close it when done. */
export function connectSystemBus(opts?: ConnectOptions): Promise<SystemBus> {
  return BusConnection.connect(systemBusAddress(), opts);
}

/**
 * systemd's own socket, as systemctl uses it when run as root: the manager
 * answers there directly, without the bus daemon in between, and sends its
 * signals there without a Subscribe. Only root may connect; machined and the
 * rest of the system stay on the system bus.
 */
export const SYSTEMD_PRIVATE_ADDRESS = 'unix:path=/run/systemd/private';

/** A peer connection to systemd's private socket. */
export function connectSystemdPrivate(opts?: ConnectOptions): Promise<BusConnection> {
  return BusConnection.connect(SYSTEMD_PRIVATE_ADDRESS, { ...opts, peer: true });
}

/** Connect to any bus by address (tests use a private dbus-daemon). */
export function connectBus(address: string, opts?: ConnectOptions): Promise<BusConnection> {
  return BusConnection.connect(address, opts);
}
