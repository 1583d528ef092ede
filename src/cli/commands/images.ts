import { flag, str, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { formatSize } from '../../config/units.js';
import { listDirectoryImages } from '../../image/resolve.js';
import { heldImages, type ContainerImageRef } from '../../image/held.js';
import { importImage, STDIN, inspectImage, listHeldImages, listImages, pruneLayers, removeImage, ttyProgress, type ImportProgress } from '../../image/store.js';
import { endsLine } from '../../image/progress.js';
import { listContainerNames, readStoredSpec } from '../../state/container.js';
import { requireRoot } from '../../runtime/preflight.js';

function table(rows: string[][], ctx: CommandContext): void {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) ctx.out(r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
}

/**
 * Containers made from the image with this id. By id, not by name, as
 * docker does: a container made from an earlier image of the same name does
 * not use this one (its own image is held, see removeImage).
 */
function usersOf(id: string): string[] {
  return listContainerNames().filter((c) => readStoredSpec(c)?.imageId === id);
}

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
    table([['NAME', 'SOURCE', 'LAYERS', 'SIZE', 'ID'],
      ...all.map((i) => [i.name ?? '<none>', i.source, String(i.layers), i.size === null ? '-' : formatSize(i.size), i.id.slice(0, 19)])], ctx);
    return 0;
  },
};

export const importCmd: Command = {
  usage: 'tsmachine import [--name NAME] SOURCE|-',
  summary: 'import an OCI layout/archive, a docker-archive, a rootfs tarball or directory (tars may be gzip/zstd; - reads stdin) into the layer store',
  options: [{ long: 'name', kind: 'value', arg: 'NAME', help: 'image name (default: from the source; needed for stdin unless the archive names itself)' }, HELP],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const source = p.positionals[0];
    if (!source) throw new UsageError('a SOURCE to import is required');
    ctx.subject = source;
    if (source === STDIN && process.stdin.isTTY) throw new UsageError('stdin is a terminal: pipe an archive into it (… | tsmachine import --name NAME -)');
    requireRoot();
    const name = str(p, 'name');
    const draw = ttyProgress(process.stderr);
    let drawing = false;
    const progress = draw && ((e: ImportProgress): void => { drawing = !endsLine(e); draw(e); });
    let rec;
    try {
      rec = await importImage(source, {
        ...(name ? { name } : {}), ...(progress ? { progress } : {}), ...(source === STDIN ? { input: process.stdin } : {}),
      });
    } catch (e) {
      if (drawing) process.stderr.write('\n'); // the error goes on a line of its own, not after the progress line
      throw e;
    }
    ctx.out(`${rec.name} ${rec.id} (${rec.layers.length} layers, ${formatSize(rec.size)})`);
    return 0;
  },
};

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
