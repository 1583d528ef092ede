import { containerState } from '../../../runtime/oci/query.js';
import { containerId, type OciCommand } from '../command.js';

export const state: OciCommand = {
  usage: 'tsmachine-oci state ID',
  summary: "the container's runtime-spec state as JSON",
  options: [],
  run(p, ctx) {
    ctx.out(`${JSON.stringify(containerState(ctx.store, containerId(p, ctx)), null, 2)}\n`);
    return 0;
  },
};
