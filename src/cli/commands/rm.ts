import { flag } from '../args.js';
import { HELP, containerName, type Command } from '../command.js';
import { loadRuntime } from '../runtime-loader.js';

export const rm: Command = {
  usage: 'tsmachine rm NAME [--force]',
  summary: 'remove a container and its writes',
  options: [{ long: 'force', short: 'f', kind: 'flag', help: 'stop it first if it runs' }, HELP],
  async run(p, ctx) {
    await (await loadRuntime()).rm(containerName(p, ctx, { only: true }), flag(p, 'force'));
    return 0;
  },
};
