import { UsageError } from '../../../errors.js';
import { str } from '../../args.js';
import { updateContainer } from '../../../runtime/oci/control.js';
import { containerId, type OciCommand } from '../command.js';

export const update: OciCommand = {
  usage: 'tsmachine-oci update --resources FILE ID',
  summary: "change a running container's limits (linux.resources JSON; '-' reads stdin) on its scope",
  options: [{ long: 'resources', short: 'r', kind: 'value', arg: 'FILE', help: "linux.resources as JSON ('-': stdin)" }],
  async run(p, ctx) {
    const id = containerId(p, ctx);
    const file = str(p, 'resources');
    if (file === undefined) throw new UsageError('--resources FILE is required');
    await updateContainer(ctx.store, id, file);
    return 0;
  },
};
