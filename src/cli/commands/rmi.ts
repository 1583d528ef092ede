import { flag, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { removeImage } from '../../image/index.js';
import { listContainerNames, readStoredSpec } from '../../state/container.js';
import { requireRoot } from '../../runtime/preflight.js';

/**
 * Containers made from the image with this id. By id, not by name, as
 * docker does: a container made from an earlier image of the same name does
 * not use this one (its own image is held, see removeImage).
 */
function usersOf(id: string): string[] {
  return listContainerNames().filter((c) => readStoredSpec(c)?.imageId === id);
}

export const rmi: Command = {
  usage: 'tsmachine rmi NAME [--force]',
  summary: 'remove an imported image (refused while a container uses it, unless --force)',
  options: [{ long: 'force', short: 'f', kind: 'flag', help: 'remove even if a container uses it' }, HELP],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = p.positionals[0];
    if (!name) throw new UsageError('an image name is required');
    ctx.subject = name;
    requireRoot();
    removeImage(name, { force: flag(p, 'force'), inUse: (id) => usersOf(id) });
    return 0;
  },
};

