import { flag, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { listDirectoryImages } from '../../image/resolve.js';

export const images: Command = {
  usage: 'tsmachine images [--json]',
  summary: 'list images: built-in, imported, and directories in /var/lib/machines',
  options: [{ long: 'json', kind: 'flag', help: 'print JSON' }, HELP],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const all = listDirectoryImages();
    if (flag(p, 'json')) { ctx.out(JSON.stringify(all, null, 2)); return 0; }
    const rows = [['NAME', 'SOURCE', 'LAYERS', 'ID'], ...all.map((i) => [i.name, i.source, String(i.layers), i.id])];
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) ctx.out(r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
    return 0;
  },
};
