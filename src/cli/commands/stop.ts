import { HELP, TIME_OPTION, containerName, stopSeconds, type Command } from '../command.js';
import { loadRuntime } from '../runtime-loader.js';

export const stop: Command = {
  usage: 'tsmachine stop NAME [--time S]',
  summary: 'stop a container: SIGTERM to the payload, SIGKILL to the whole scope after S seconds (10)',
  options: [TIME_OPTION, HELP],
  async run(p, ctx) {
    const name = containerName(p, ctx, { only: true });
    const wasRunning = await (await loadRuntime()).stop(name, stopSeconds(p));
    if (!wasRunning) ctx.out(`${name}: was not running`);
    return 0;
  },
};
