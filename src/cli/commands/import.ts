import { str, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { formatSize } from '../../config/units.js';
import { endsLine, importImage, STDIN, ttyProgress, type ImportProgress } from '../../image/index.js';
import { requireRoot } from '../../runtime/preflight.js';

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

