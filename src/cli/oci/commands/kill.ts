import { flag } from '../../args.js';
import { killContainer } from '../../../runtime/oci/control.js';
import { parseSignal } from '../../../runtime/oci/signal.js';
import { containerId, type OciCommand } from '../command.js';

export const kill: OciCommand = {
  usage: 'tsmachine-oci kill [--all] ID [SIGNAL]',
  summary: "send a signal (name or number, default TERM) to the init, or to every process of the container's scope",
  options: [{ long: 'all', short: 'a', kind: 'flag', help: "every process of the container's scope (systemd's KillUnit)" }],
  async run(p, ctx) {
    const id = containerId(p, ctx, 2);
    await killContainer(ctx.store, id, parseSignal(p.positionals[1]), flag(p, 'all'));
    return 0;
  },
};
