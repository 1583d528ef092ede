import { HELP, TIME_OPTION, containerName, stopSeconds, type Command } from '../command.js';
import { loadRuntime } from '../runtime-loader.js';

export const restart: Command = {
  usage: 'tsmachine restart NAME [--time S]',
  summary: 'stop and start a container again',
  options: [TIME_OPTION, HELP],
  async run(p, ctx) {
    const name = containerName(p, ctx, { only: true });
    const s = await (await loadRuntime()).restart(name, stopSeconds(p));
    ctx.out(`${name}: running in ${s.unit}, leader ${s.initPid}`);
    return 0;
  },
};
