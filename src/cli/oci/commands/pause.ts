import { freezeContainer } from '../../../runtime/oci/control.js';
import { containerId, type OciCommand } from '../command.js';

export const pause: OciCommand = {
  usage: 'tsmachine-oci pause ID',
  summary: "freeze every process of the container (systemd's FreezeUnit)",
  options: [],
  async run(p, ctx) {
    await freezeContainer(ctx.store, containerId(p, ctx), true);
    return 0;
  },
};

export const resume: OciCommand = {
  usage: 'tsmachine-oci resume ID',
  summary: "thaw a paused container (systemd's ThawUnit)",
  options: [],
  async run(p, ctx) {
    await freezeContainer(ctx.store, containerId(p, ctx), false);
    return 0;
  },
};
