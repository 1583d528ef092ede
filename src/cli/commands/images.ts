import { flag, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { formatSize } from '../../config/units.js';
import { heldImages, listDirectoryImages, listHeldImages, listImages, type ContainerImageRef } from '../../image/index.js';
import { listContainerNames, readStoredSpec } from '../../state/container.js';
import { formatTable } from '../table.js';

/** Each container's image id and recorded layers, from the specs alone (no runtime, no native code). */
function containerImageRefs(): ContainerImageRef[] {
  return listContainerNames().flatMap((c) => {
    const s = readStoredSpec(c);
    return s ? [{ container: c, imageId: s.imageId, layers: s.image?.layers }] : [];
  });
}

export const images: Command = {
  usage: 'tsmachine images [--json]',
  summary: 'list images: imported, built-in, and directories in /var/lib/machines',
  options: [{ long: 'json', kind: 'flag', help: 'print JSON' }, HELP],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const records = listImages();
    const stored = records.map((r) => ({
      name: r.name as string | null, id: r.id, source: 'store', layers: r.layers.length, size: r.size as number | null, created: r.created as string | null,
    }));
    const dirs = listDirectoryImages().map((d) => ({ ...d, size: null as number | null, created: null as string | null }));
    // Images whose name went while containers used them: `<none>`, as docker shows them.
    const held = heldImages(records, listHeldImages(), containerImageRefs()).map((h) => ({
      name: null, id: h.id, source: 'store', layers: h.layers, size: h.size, created: h.created, heldBy: h.heldBy,
    }));
    const all = [...stored, ...dirs.filter((d) => !stored.some((s) => s.name === d.name)), ...held];
    if (flag(p, 'json')) { ctx.out(JSON.stringify(all, null, 2)); return 0; }
    for (const line of formatTable([['NAME', 'SOURCE', 'LAYERS', 'SIZE', 'ID'],
      ...all.map((i) => [i.name ?? '<none>', i.source, String(i.layers), i.size === null ? '-' : formatSize(i.size), i.id.slice(0, 19)])])) ctx.out(line);
    return 0;
  },
};

