import { flag, type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { CONTAINER_OPTIONS, containerOptionsFrom, hasContainerOptions } from '../container-options.js';
import { UsageError } from '../../errors.js';
import { loadRuntime } from '../runtime-loader.js';
import { requireRoot } from '../../runtime/preflight.js';

export const start: Command = {
  usage: 'tsmachine start NAME [options] [-- CMD ARGS...]',
  summary: 'create and start a container in the background (or start a stopped one again)',
  options: [
    ...CONTAINER_OPTIONS,
    { long: 'keep-unit', kind: 'flag', help: 'run in the calling service unit (tsmachine@.service) instead of a new scope' },
    HELP,
  ],
  maxPositionals: 1,
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = containerName(p, ctx);
    requireRoot();
    const rt = await loadRuntime();
    const existing = rt.stored(name);
    if (existing && (hasContainerOptions(p) || p.command.length > 0))
      throw new UsageError(`container ${name} exists: options apply only when it is created (use 'tsmachine update', or rm it first)`);
    const started = await rt.start(name, existing ? null : containerOptionsFrom(p, p.command), {
      keepUnit: flag(p, 'keep-unit'),
    });
    ctx.out(`${name}: running in ${started.unit}, leader ${started.initPid}${started.addresses.length ? `, ${started.addresses.join(' ')}` : ''}`);
    return 0;
  },
};
