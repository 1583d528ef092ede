import { type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { formatSize } from '../../config/units.js';
import { inspectImage, pruneLayers } from '../../image/index.js';
import { listContainerNames, readStoredSpec } from '../../state/container.js';
import { requireRoot } from '../../runtime/preflight.js';

export const image: Command = {
  usage: 'tsmachine image inspect NAME | tsmachine image prune',
  summary: "show an image's config, or free layers no image uses",
  options: [HELP],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const [sub, name] = p.positionals;
    if (sub === 'inspect') {
      if (!name) throw new UsageError('image inspect: an image name is required');
      ctx.subject = name;
      ctx.out(JSON.stringify(inspectImage(name), null, 2));
      return 0;
    }
    if (sub === 'prune') {
      requireRoot();
      // Layers under existing containers stay, even if their image was rmi --force'd or
      // re-imported since: the layers each container recorded, and (for specs from
      // before it recorded them) the held image of the id it was created from.
      const specs = listContainerNames().flatMap((c) => readStoredSpec(c) ?? []);
      const r = pruneLayers({ keep: specs.flatMap((s) => s.image?.layers ?? []), keepImages: specs.map((s) => s.imageId) });
      ctx.out(`removed ${r.removed.length} layers, freed ${formatSize(r.freedBytes)}`);
      return 0;
    }
    throw new UsageError(`unknown image command '${sub ?? ''}' (inspect or prune)`);
  },
};
