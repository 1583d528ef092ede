import { startContainer } from '../../../runtime/oci/start.js';
import { containerId, type OciCommand } from '../command.js';

export const start: OciCommand = {
  usage: 'tsmachine-oci start ID',
  summary: "let a created container's init run its process",
  options: [],
  run(p, ctx) {
    startContainer(ctx.store, containerId(p, ctx), ctx.warn);
    return 0;
  },
};
