import { flag } from '../../args.js';
import { deleteContainer } from '../../../runtime/oci/control.js';
import { containerId, type OciCommand } from '../command.js';

export const del: OciCommand = {
  usage: 'tsmachine-oci delete [--force] ID',
  summary: "remove a stopped (or created) container: its scope, machine and state",
  options: [{ long: 'force', short: 'f', kind: 'flag', help: 'kill a running or paused container first (SIGKILL to its scope)' }],
  async run(p, ctx) {
    await deleteContainer(ctx.store, containerId(p, ctx), flag(p, 'force'), ctx.warn);
    return 0;
  },
};
