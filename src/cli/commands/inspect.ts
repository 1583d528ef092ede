import { flag, type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { formatSize } from '../../config/units.js';
import { loadRuntime } from '../runtime-loader.js';
import { imageLabel, storeIdsByName } from '../image-label.js';
import type { ContainerStatus } from '../../runtime/inspect.js';
import { formatTable } from '../table.js';

function limitsText(s: ContainerStatus): string {
  const l = s.limits, parts: string[] = [];
  if (l.cpus !== null) parts.push(`cpus=${l.cpus}`);
  if (l.memory !== null) parts.push(`memory=${formatSize(l.memory)}`);
  if (l.pids !== null) parts.push(`pids=${l.pids}`);
  if (l.cpuset !== null) parts.push(`cpuset=${l.cpuset}`);
  if (l.ioWeight !== null) parts.push(`io-weight=${l.ioWeight}`);
  return parts.join(' ') || '-';
}

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
