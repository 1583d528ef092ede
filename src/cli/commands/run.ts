import { flag, type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { CONTAINER_OPTIONS, containerOptionsFrom } from '../container-options.js';
import { loadRuntime } from '../runtime-loader.js';
import { requireRoot } from '../../runtime/preflight.js';
import { withForegroundIo } from '../payload-io.js';

export const run: Command = {
  usage: 'tsmachine run [--rm] [-i] [-t] [options] NAME [--] CMD ARGS...',
  summary: 'run a command in a new container in the foreground; exits with its status',
  options: [
    { long: 'rm', kind: 'flag', help: 'remove the container when it exits' },
    { long: 'interactive', short: 'i', kind: 'flag', help: 'keep stdin attached' },
    { long: 'tty', short: 't', kind: 'flag', help: 'give the payload a new pseudo-terminal (with -i, the local terminal goes raw and is relayed to it)' },
    ...CONTAINER_OPTIONS,
    HELP,
  ],
  maxPositionals: 1,
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = containerName(p, ctx);
    requireRoot();
    const options = containerOptionsFrom(p, p.command);
    const rt = await loadRuntime();
    return withForegroundIo(p, (io) => rt.run(name, options, { ...io, remove: flag(p, 'rm') }));
  },
};
