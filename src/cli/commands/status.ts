import { flag, type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { loadRuntime } from '../runtime-loader.js';
import { imageLabel, storeIdsByName } from '../image-label.js';
import { limitsText } from '../limits-text.js';

export const status: Command = {
  usage: 'tsmachine status NAME [--json]',
  summary: 'show one container',
  options: [{ long: 'json', kind: 'flag', help: 'print JSON' }, HELP],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = containerName(p, ctx, { only: true });
    const s = (await loadRuntime()).status(name);
    if (flag(p, 'json')) { ctx.out(JSON.stringify(s, null, 2)); return 0; }
    const lines: [string, string][] = [
      ['Name', s.name], ['State', s.state + (s.exitCode !== null ? ` (exit ${s.exitCode})` : '')],
      ['Leader', s.leader?.toString() ?? '-'], ['Unit', s.unit], ['Image', imageLabel(s.image, s.imageId, storeIdsByName().get(s.image) ?? null)],
      ['Command', s.command.length ? s.command.join(' ') : '(image default)'],
      ['Addresses', s.addresses.join(' ') || '-'], ['Limits', limitsText(s)],
      ['Proc view', s.procViewError ? `lxcfs, ${s.procViewError}` : s.procView ? 'lxcfs' : s.state === 'running' ? "no (the host's)" : '-'],
      ['Userns', s.userns ? `0..${s.userns.size - 1} = host ${s.userns.base}..${s.userns.base + s.userns.size - 1}` : 'no'],
      ['Created', s.created], ['Started', s.startedAt ?? '-'],
    ];
    for (const [k, v] of lines) ctx.out(`${k.padStart(10)}: ${v}`);
    return 0;
  },
};
