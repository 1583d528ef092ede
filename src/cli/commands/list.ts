import { flag, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { loadRuntime } from '../runtime-loader.js';
import { imageLabel, storeIdsByName } from '../image-label.js';
import { limitsText } from '../limits-text.js';
import { formatTable } from '../table.js';

export const listCmd: Command = {
  usage: 'tsmachine list [--all] [--json]',
  summary: 'list running containers (--all: stopped ones too)',
  options: [
    { long: 'all', short: 'a', kind: 'flag', help: 'include stopped containers' },
    { long: 'json', kind: 'flag', help: 'print JSON' },
    HELP,
  ],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    if (p.positionals.length > 0) throw new UsageError(`unexpected argument '${p.positionals[0]}'`);
    const all = (await loadRuntime()).list(flag(p, 'all'));
    if (flag(p, 'json')) { ctx.out(JSON.stringify(all, null, 2)); return 0; }
    const rows = [['NAME', 'STATE', 'LEADER', 'IMAGE', 'ADDRESSES', 'LIMITS', 'UNIT']];
    const ids = storeIdsByName();
    for (const s of all) {
      const state = s.state === 'stopped' && s.exitCode !== null ? `stopped (${s.exitCode})` : s.state;
      rows.push([s.name, state, s.leader?.toString() ?? '-', imageLabel(s.image, s.imageId, ids.get(s.image) ?? null), s.addresses.join(',') || '-', limitsText(s), s.unit]);
    }
    for (const line of formatTable(rows)) ctx.out(line);
    return 0;
  },
};
