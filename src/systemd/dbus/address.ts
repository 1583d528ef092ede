import { DBusConnectionError } from './errors.js';

/** Where to connect: a filesystem socket or a Linux abstract socket. */
export interface BusAddress {
  /** Path suitable for net.createConnection (abstract names start with NUL). */
  socketPath: string;
  /** The address text it came from, for error messages. */
  text: string;
}

/**
 * Parse a D-Bus server address ("unix:path=/run/dbus/system_bus_socket",
 * possibly a ';'-separated list). Only unix transports are supported: the
 * system bus is always one, and EXTERNAL auth needs a unix socket anyway.
 */
export function parseAddress(address: string): BusAddress {
  for (const entry of address.split(';')) {
    if (!entry) continue;
    const colon = entry.indexOf(':');
    if (colon < 0) continue;
    const transport = entry.slice(0, colon);
    if (transport !== 'unix') continue;
    const params = new Map<string, string>();
    for (const kv of entry.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq < 0) continue;
      params.set(kv.slice(0, eq), unescape(kv.slice(eq + 1), address));
    }
    const path = params.get('path');
    if (path) return { socketPath: path, text: address };
    const abstract = params.get('abstract');
    if (abstract) return { socketPath: `\0${abstract}`, text: address };
  }
  throw new DBusConnectionError('no usable unix:path= or unix:abstract= entry in the bus address', address);
}

function unescape(v: string, address: string): string {
  try {
    return decodeURIComponent(v);
  } catch (cause) {
    throw new DBusConnectionError(`bad %-escape in '${v}'`, address, { cause });
  }
}
