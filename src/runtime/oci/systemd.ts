import { connectSystemBus, connectSystemdPrivate, type SystemBus } from '../../systemd/bus.js';
import { SystemdManager } from '../../systemd/manager.js';
import { Machined } from '../../systemd/machined.js';

/**
 * systemd over its private socket (the system bus when refused) and
 * machined over the system bus, each connected on first use: `state` and
 * `start` never need either, `kill` of the init alone neither.
 */
export class OciSystemd {
  private manager_: Promise<SystemdManager> | null = null;
  private systemBus: Promise<SystemBus> | null = null;
  private privateBus: Promise<SystemBus> | null = null;
  private machined_: Promise<Machined> | null = null;

  private bus(): Promise<SystemBus> {
    this.systemBus ??= connectSystemBus();
    return this.systemBus;
  }

  manager(): Promise<SystemdManager> {
    this.manager_ ??= (this.privateBus = connectSystemdPrivate().catch(() => this.bus())).then((b) => new SystemdManager(b));
    return this.manager_;
  }

  machined(): Promise<Machined> {
    this.machined_ ??= this.bus().then((b) => new Machined(b));
    return this.machined_;
  }

  async close(): Promise<void> {
    const buses = [this.privateBus, this.systemBus].filter((b): b is Promise<SystemBus> => b !== null);
    await Promise.all(buses.map((b) => b.then((c) => c.close(), () => undefined)));
  }
}
